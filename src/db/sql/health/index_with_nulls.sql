-- Non-partial, non-unique indexes whose first key column is a table column, with that column's null fraction from pg_stats (only columns the role may read have stats). Params: $1 = schema (NULL: every user schema). Columns named lazy_* carry an oid that db::health deparses per finding (pg_get_indexdef and pg_get_constraintdef lock the table, so a locked table costs only its own detail).
select n.nspname as schema_name, t.relname as table_name, c.relname as object_name,
       a.attname::text as column_name,
       s.null_frac::float8 as null_frac,
       am.amname::text as method,
       i.indexrelid::int8 as lazy_key_columns,
       i.indexrelid::int8 as lazy_include_columns,
       c.relpages::int8 * current_setting('block_size')::int8 as size_bytes
from pg_index i
join pg_class c on c.oid = i.indexrelid
join pg_am am on am.oid = c.relam
join pg_class t on t.oid = i.indrelid
join pg_namespace n on n.oid = t.relnamespace
join pg_attribute a on a.attrelid = i.indrelid and a.attnum = (i.indkey::int2[])[0]
join lateral (select st.null_frac from pg_stats st
              where st.schemaname = n.nspname and st.tablename = t.relname
                and st.attname = a.attname and not st.inherited) s on true
where i.indpred is null and not i.indisunique and i.indisvalid
  and c.relkind = 'i' and not c.relispartition
  and (i.indkey::int2[])[0] <> 0
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp_)'
  and ($1::text is null or n.nspname = $1::text)
  and s.null_frac > 0
order by 1, 2, 3
