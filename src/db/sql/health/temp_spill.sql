-- Temporary files written per database since its statistics reset, with the work_mem its sessions get. Database-wide: nothing when a schema is given. Params: $1 = schema (NULL: every user schema).
select ''::text as schema_name, null::text as table_name, d.datname::text as object_name,
       d.temp_files::int8 as temp_files, d.temp_bytes::int8 as temp_bytes,
       extract(epoch from now() - coalesce(d.stats_reset, pg_postmaster_start_time()))::float8 as seconds_counted,
       d.stats_reset::text as stats_reset,
       -- ALTER DATABASE ... SET work_mem wins over the server's value
       pg_size_bytes(coalesce(
         (select case when v ~ '^[0-9]+$' then v || 'kB' else v end
          from pg_db_role_setting r, unnest(r.setconfig) c,
               lateral substr(c, length('work_mem=') + 1) v
          where r.setdatabase = d.datid and r.setrole = 0 and c like 'work_mem=%'
          limit 1),
         current_setting('work_mem')
       ))::int8 as work_mem_bytes
from pg_stat_database d
where d.datname is not null and d.temp_bytes > 0
  and $1::text is null
order by d.temp_bytes desc
