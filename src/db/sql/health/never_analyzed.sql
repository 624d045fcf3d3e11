-- Tables, materialized views and partitioned tables with rows and no statistics: no ANALYZE or autoanalyze recorded since the statistics reset and no column statistics (where this role may read them). Params: $1 = schema (NULL: every user schema).
select n.nspname as schema_name, c.relname as table_name, null::text as object_name,
       case c.relkind when 'p' then 'partitioned table' when 'm' then 'materialized view'
            else 'table' end as kind,
       r.rows::int8 as rows,
       has_table_privilege(c.oid, 'select') as stats_readable
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
left join pg_stat_all_tables s on s.relid = c.oid
cross join lateral (
  select case when c.relkind = 'p' then
           (select sum(greatest(ps.n_live_tup, pc.reltuples, 0))
            from pg_partition_tree(c.oid) pt
            join pg_class pc on pc.oid = pt.relid
            left join pg_stat_all_tables ps on ps.relid = pt.relid
            where pt.isleaf)
         else greatest(s.n_live_tup, c.reltuples, 0) end as rows
) r
where c.relkind in ('r', 'm', 'p')
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp_)'
  and ($1::text is null or n.nspname = $1::text)
  and r.rows > 0
  and s.last_analyze is null and s.last_autoanalyze is null
  -- pg_stats shows only columns this role may read: without the privilege only the times count
  and not exists (select 1 from pg_stats st where st.schemaname = n.nspname and st.tablename = c.relname)
  and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass
                  and d.objid = c.oid and d.deptype = 'e')
order by 1, 2
