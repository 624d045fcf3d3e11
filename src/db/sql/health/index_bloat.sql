-- B-tree bloat estimate (ioguix method, 2022 formula: 8-byte index tuple header, +4 with a null bitmap; reltuples < 0 clamped to 0): real and expected pages per index. Indexes with a key column lacking statistics are left out (no estimate). Relations smaller than the minimum bloat cannot reach it and are skipped; with none left, pg_stats (slow to read: a security-barrier view) is not read at all. Params: $1 = schema (NULL: every user schema), $2 = minimum bloat in bytes.
with idx as (
  select i.indexrelid, i.indrelid, n.nspname, t.relname as tbl, c.relname as idx_name,
         c.relpages::int8 as relpages, greatest(c.reltuples, 0)::float8 as reltuples,
         coalesce((select substring(o from 'fillfactor=([0-9]+)')::int
                   from unnest(c.reloptions) o where o like 'fillfactor=%' limit 1), 90) as fillfactor,
         i.indkey::int2[] as indkey
  from pg_index i
  join pg_class c on c.oid = i.indexrelid
  join pg_am am on am.oid = c.relam and am.amname = 'btree'
  join pg_class t on t.oid = i.indrelid
  join pg_namespace n on n.oid = t.relnamespace
  where c.relkind = 'i' and i.indisvalid and c.relpages > 1
    and n.nspname not in ('pg_catalog', 'information_schema')
    and n.nspname !~ '^pg_(toast|temp_)'
    and ($1::text is null or n.nspname = $1::text)
    and c.relpages::int8 * current_setting('block_size')::int8 >= $2::int8
), st as materialized (
  -- pg_stats read once, keyed by one text value: pg_stats is a security-barrier view, and a join on
  -- its name columns plans as a nested loop over the whole view; on one key it hashes
  select array[s.schemaname::text, s.tablename::text, s.attname::text]::text as k,
         s.null_frac::float8 as null_frac, s.avg_width::float8 as avg_width
  from pg_stats s
  where not s.inherited
    and s.schemaname not in ('pg_catalog', 'information_schema')
    and s.schemaname !~ '^pg_(toast|temp_)'
    and ($1::text is null or s.schemaname = $1::text)
    and exists (select 1 from idx)
), cols as (
  -- the index's own attributes: a table column, or an expression whose stats are kept under the index name
  select x.indexrelid, coalesce(ts.null_frac, es.null_frac) as null_frac,
         coalesce(ts.avg_width, es.avg_width) as avg_width
  from idx x
  join pg_attribute ia on ia.attrelid = x.indexrelid and ia.attnum > 0
  left join pg_attribute ta on ta.attrelid = x.indrelid and ta.attnum = x.indkey[ia.attnum - 1]
       and x.indkey[ia.attnum - 1] <> 0
  left join st ts on ts.k = array[x.nspname::text, x.tbl::text, ta.attname::text]::text
  left join st es on es.k = array[x.nspname::text, x.idx_name::text, ia.attname::text]::text
), per_index as (
  select indexrelid, bool_or(avg_width is null) as no_stats,
         coalesce(sum((1 - null_frac) * avg_width), 0)::float8 as data_width,
         max(coalesce(null_frac, 0)) > 0 as has_nulls
  from cols group by indexrelid
), est as (
  select x.nspname, x.tbl, x.idx_name, x.relpages, x.fillfactor,
         current_setting('block_size')::int8 as bs,
         -- expected leaf tuples per page: (block - page header 24 - btree opaque 16) * fillfactor,
         -- over a line pointer (4) plus the header and the data, each padded to MAXALIGN (8)
         1 + ceil(x.reltuples / greatest(floor((current_setting('block_size')::int - 16 - 24)
             * x.fillfactor / (100.0 * (4 + ceil((8 + case when p.has_nulls then 4 else 0 end) / 8.0) * 8
                                          + ceil(p.data_width / 8.0) * 8))), 1)) as expected_pages
  from idx x join per_index p using (indexrelid)
  where not p.no_stats
)
select nspname as schema_name, tbl as table_name, idx_name as object_name,
       relpages * bs as size_bytes,
       (greatest(relpages - expected_pages, 0) * bs)::int8 as bloat_bytes,
       (100.0 * greatest(relpages - expected_pages, 0) / relpages)::float8 as bloat_pct,
       expected_pages::int8 as expected_pages, relpages as pages, fillfactor
from est
where relpages > expected_pages
order by 1, 2, 3
