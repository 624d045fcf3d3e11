-- Indexes left invalid by a failed CREATE INDEX / REINDEX CONCURRENTLY, leaving out those a running build still works on. Params: $1 = schema (NULL: every user schema). Columns named lazy_* carry an oid that db::health deparses per finding (pg_get_indexdef and pg_get_constraintdef lock the table, so a locked table costs only its own detail).
select n.nspname as schema_name, t.relname as table_name, c.relname as object_name,
       c.relpages::int8 * current_setting('block_size')::int8 as size_bytes,
       i.indisready as ready,
       i.indisunique as is_unique,
       i.indexrelid::int8 as lazy_indexdef
from pg_index i
join pg_class c on c.oid = i.indexrelid
join pg_class t on t.oid = i.indrelid
join pg_namespace n on n.oid = t.relnamespace
where not i.indisvalid
  -- a partitioned index ('I') stays invalid while a partition lacks its index: reported on the partition
  and c.relkind = 'i'
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp_)'
  and ($1::text is null or n.nspname = $1::text)
  and not exists (
    select 1 from pg_stat_progress_create_index p
    where p.index_relid = i.indexrelid or p.relid = i.indrelid)
order by 1, 2, 3
