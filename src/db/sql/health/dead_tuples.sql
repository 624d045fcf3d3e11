-- Dead and live tuple counts of user tables, with the last (auto)vacuum. Params: $1 = schema (NULL: every user schema).
select s.schemaname as schema_name, s.relname as table_name, null::text as object_name,
       s.n_dead_tup as dead_tuples, s.n_live_tup as live_tuples,
       s.last_vacuum::text as last_vacuum, s.last_autovacuum::text as last_autovacuum
from pg_stat_user_tables s
where s.n_dead_tup > 0
  and s.schemaname !~ '^pg_(toast|temp_)'
  and ($1::text is null or s.schemaname = $1::text)
order by 1, 2
