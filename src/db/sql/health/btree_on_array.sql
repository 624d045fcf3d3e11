-- B-tree indexes with an array-typed key column (a GIN index is what containment searches use). Params: $1 = schema (NULL: every user schema).
select n.nspname as schema_name, t.relname as table_name, c.relname as object_name,
       a.attname::text as column_name,
       format_type(a.atttypid, a.atttypmod) as column_type,
       i.indnkeyatts = 1 and (i.indkey::int2[])[0] <> 0 as single_plain_column,
       i.indisunique or exists (select 1 from pg_constraint k where k.conindid = i.indexrelid
                                and k.contype in ('p', 'u', 'x')) as enforces_constraint,
       c.relkind = 'I' as partitioned,
       c.relpages::int8 * current_setting('block_size')::int8 as size_bytes
from pg_index i
join pg_class c on c.oid = i.indexrelid
join pg_am am on am.oid = c.relam and am.amname = 'btree'
join pg_class t on t.oid = i.indrelid
join pg_namespace n on n.oid = t.relnamespace
join pg_attribute a on a.attrelid = i.indexrelid and a.attnum <= i.indnkeyatts
join pg_type ty on ty.oid = a.atttypid and ty.typcategory = 'A'
where c.relkind in ('i', 'I') and not c.relispartition
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp_)'
  and ($1::text is null or n.nspname = $1::text)
order by 1, 2, 3
