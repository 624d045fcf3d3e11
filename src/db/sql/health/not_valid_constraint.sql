-- CHECK and foreign key constraints added NOT VALID and never validated. Params: $1 = schema (NULL: every user schema). Columns named lazy_* carry an oid that db::health deparses per finding (pg_get_indexdef and pg_get_constraintdef lock the table, so a locked table costs only its own detail).
select n.nspname as schema_name, t.relname as table_name, k.conname as object_name,
       case k.contype when 'c' then 'check' else 'foreign key' end as kind,
       k.oid::int8 as lazy_constraintdef
from pg_constraint k
join pg_class t on t.oid = k.conrelid
join pg_namespace n on n.oid = t.relnamespace
where not k.convalidated and k.contype in ('c', 'f') and k.conparentid = 0
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp_)'
  and ($1::text is null or n.nspname = $1::text)
order by 1, 2, 3
