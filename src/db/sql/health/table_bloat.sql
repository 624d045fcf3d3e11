-- Heap bloat estimate (ioguix method, TOAST counted at 4 tuples a page, reltuples < 0 clamped to 0): real and expected pages per table and materialized view. Tables with a column lacking statistics are left out (no estimate). Relations smaller than the minimum bloat cannot reach it and are skipped; with none left, pg_stats (slow to read: a security-barrier view) is not read at all. Params: $1 = schema (NULL: every user schema), $2 = minimum bloat in bytes.
with tbl as (
  select c.oid, n.nspname, c.relname,
         c.relpages::int8 + coalesce(toast.relpages, 0)::int8 as pages,
         greatest(coalesce(toast.reltuples, 0), 0)::float8 as toast_tuples,
         greatest(c.reltuples, 0)::float8 as reltuples,
         coalesce((select substring(o from 'fillfactor=([0-9]+)')::int
                   from unnest(c.reloptions) o where o like 'fillfactor=%' limit 1), 100) as fillfactor
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  left join pg_class toast on toast.oid = c.reltoastrelid
  where c.relkind in ('r', 'm') and c.relpages > 0
    and n.nspname not in ('pg_catalog', 'information_schema')
    and n.nspname !~ '^pg_(toast|temp_)'
    and ($1::text is null or n.nspname = $1::text)
    and (c.relpages::int8 + coalesce(toast.relpages, 0)::int8) * current_setting('block_size')::int8 >= $2::int8
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
    and exists (select 1 from tbl)
), cols as (
  select t.oid, count(*) as ncols, bool_or(s.avg_width is null) as no_stats,
         coalesce(sum((1 - s.null_frac) * s.avg_width), 0)::float8 as data_width,
         max(coalesce(s.null_frac, 0)) > 0 as has_nulls
  from tbl t
  join pg_attribute a on a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
  left join st s on s.k = array[t.nspname::text, t.relname::text, a.attname::text]::text
  group by t.oid
), est as (
  select t.nspname, t.relname, t.pages, t.fillfactor,
         current_setting('block_size')::int8 as bs,
         -- tuple: line pointer 4 + header 23 (+ null bitmap) + data, header and data padded to 8
         ceil(t.reltuples / greatest(((current_setting('block_size')::int - 24) * t.fillfactor
              / (100.0 * (4 + ceil((23 + case when c.has_nulls then (7 + c.ncols) / 8 else 0 end) / 8.0) * 8
                              + ceil(c.data_width / 8.0) * 8))), 1))
           + ceil(t.toast_tuples / 4) as expected_pages
  from tbl t join cols c using (oid)
  where not c.no_stats and t.reltuples > 0
)
select nspname as schema_name, relname as table_name, null::text as object_name,
       pages * bs as size_bytes,
       (greatest(pages - expected_pages, 0) * bs)::int8 as bloat_bytes,
       (100.0 * greatest(pages - expected_pages, 0) / pages)::float8 as bloat_pct,
       expected_pages::int8 as expected_pages, pages, fillfactor
from est
where pages > expected_pages
order by 1, 2
