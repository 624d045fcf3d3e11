-- Indexes identical to another of the same table (columns, opclasses, collations, options, expressions, predicate, method); one row per index to drop, naming the one to keep. Params: $1 = schema (NULL: every user schema); {table:...} is `true`, or that condition on the table of a one-table run. Columns named lazy_* carry an oid that db::health deparses per finding (pg_get_indexdef and pg_get_constraintdef lock the table, so a locked table costs only its own detail).
with idx as (
  select i.indexrelid, i.indrelid, n.nspname, t.relname as tbl, c.relname as idx_name,
         i.indisprimary, i.indisunique, c.relkind = 'I' as partitioned,
         exists (select 1 from pg_constraint k
                 where k.conindid = i.indexrelid and k.conrelid = i.indrelid
                   and k.contype in ('p', 'u', 'x')) as backs_constraint,
         c.relpages::int8 * current_setting('block_size')::int8 as size_bytes,
         concat_ws('|', c.relam::text, i.indkey::text, i.indnkeyatts::text, i.indclass::text,
                   i.indcollation::text, i.indoption::text,
                   coalesce(regexp_replace(i.indexprs::text, ' :location -?[0-9]+', '', 'g'), ''),
                   coalesce(regexp_replace(i.indpred::text, ' :location -?[0-9]+', '', 'g'), '')) as signature
  from pg_index i
  join pg_class c on c.oid = i.indexrelid
  join pg_class t on t.oid = i.indrelid
  join pg_namespace n on n.oid = t.relnamespace
  where i.indisvalid and c.relkind in ('i', 'I') and not c.relispartition
    and n.nspname not in ('pg_catalog', 'information_schema')
    and n.nspname !~ '^pg_(toast|temp_)'
    and ($1::text is null or n.nspname = $1::text)
    and {table:t.relname = $table}
), ranked as (
  select d.*,
         row_number() over w as rn,
         first_value(idx_name) over w as keep_index,
         first_value(indisunique) over w as keep_is_unique
  from idx d
  window w as (partition by indrelid, signature
               order by backs_constraint desc, indisprimary desc, indisunique desc, indexrelid)
)
select nspname as schema_name, tbl as table_name, idx_name as object_name,
       keep_index, size_bytes, indisunique as is_unique, backs_constraint, partitioned,
       indexrelid::int8 as lazy_indexdef
from ranked
where rn > 1
order by 1, 2, 3
