-- Top statements of pg_stat_statements. Params: $1 = int8 row limit. {schema} is the extension's schema (quoted), {total} the total-time expression and {mean} the mean-time expression chosen by the installed extension version (total_time before 1.8, total_plan_time + total_exec_time since).
select s.queryid::int8 as queryid,
       r.rolname::text as "user",
       d.datname::text as database,
       s.query,
       s.calls::int8 as calls,
       ({total})::float8 as total_ms,
       ({mean})::float8 as mean_ms,
       s.rows::int8 as rows,
       case when s.shared_blks_hit + s.shared_blks_read > 0
            then (s.shared_blks_hit::float8 / (s.shared_blks_hit + s.shared_blks_read)) end as hit_ratio,
       (s.temp_blks_read + s.temp_blks_written)::int8 as temp_blks
from {schema}.pg_stat_statements s
left join pg_roles r on r.oid = s.userid
left join pg_database d on d.oid = s.dbid
order by total_ms desc
limit $1
