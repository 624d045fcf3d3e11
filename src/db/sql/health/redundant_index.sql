-- Indexes whose key columns are a leading prefix of another index of the same table, method, predicate, opclasses and collations (unique and constraint indexes are never redundant). Params: $1 = schema (NULL: every user schema); {table:...} is `true`, or that condition on the table of a one-table run. Columns named lazy_* carry an oid that db::health deparses per finding (pg_get_indexdef and pg_get_constraintdef lock the table, so a locked table costs only its own detail).
with idx as (
  select i.indexrelid, i.indrelid, n.nspname, t.relname as tbl, c.relname as idx, c.relam,
         i.indisunique, i.indnatts, c.relkind = 'I' as partitioned,
         exists (select 1 from pg_constraint k
                 where k.conindid = i.indexrelid and k.contype in ('p', 'u', 'x')) as backs_constraint,
         -- int2vector/oidvector casts are 0-based; re-base to 1 so slices compare equal
         array(select unnest(i.indkey::int2[]) limit i.indnkeyatts) as keys,
         array(select unnest(i.indclass::oid[]) limit i.indnkeyatts) as classes,
         array(select unnest(i.indcollation::oid[]) limit i.indnkeyatts) as colls,
         array(select unnest(i.indoption::int2[]) limit i.indnkeyatts) as opts,
         coalesce(regexp_replace(i.indpred::text, ' :location -?[0-9]+', '', 'g'), '') as pred,
         c.relpages::int8 * current_setting('block_size')::int8 as size_bytes
  from pg_index i
  join pg_class c on c.oid = i.indexrelid
  join pg_class t on t.oid = i.indrelid
  join pg_namespace n on n.oid = t.relnamespace
  where i.indisvalid and c.relkind in ('i', 'I') and not c.relispartition
    and i.indexprs is null
    and n.nspname not in ('pg_catalog', 'information_schema')
    and n.nspname !~ '^pg_(toast|temp_)'
    and ($1::text is null or n.nspname = $1::text)
    and {table:t.relname = $table}
)
select distinct on (a.indexrelid)
       a.nspname as schema_name, a.tbl as table_name, a.idx as object_name,
       b.idx as covered_by, a.size_bytes, a.partitioned,
       a.indexrelid::int8 as lazy_indexdef,
       b.indexrelid::int8 as lazy_covering_indexdef
from idx a
join idx b on b.indrelid = a.indrelid and b.indexrelid <> a.indexrelid
          and b.relam = a.relam and b.pred = a.pred
where not a.indisunique and not a.backs_constraint
  and cardinality(a.keys) <= cardinality(b.keys)
  and b.keys[1:cardinality(a.keys)] = a.keys
  and b.classes[1:cardinality(a.keys)] = a.classes
  and b.colls[1:cardinality(a.keys)] = a.colls
  and b.opts[1:cardinality(a.keys)] = a.opts
  -- equal key columns: redundant only when the other also has INCLUDE columns (exact twins are duplicates)
  and (cardinality(a.keys) < cardinality(b.keys) or a.indnatts < b.indnatts)
order by a.indexrelid, cardinality(b.keys), b.indexrelid
