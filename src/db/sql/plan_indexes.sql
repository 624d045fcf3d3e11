-- Indexes of the tables a plan reads, to check index suggestions against them
-- (model::plan::advice::IndexInfo). :rels is replaced by a dollar-quoted JSON array of
-- [schema or null, table] pairs; a table given without schema is the one the search path finds.
-- Valid, non-partial indexes only; key columns as pg_get_indexdef prints them. One JSON value.
with wanted as (
  select r->>0 as nsp, r->>1 as rel from json_array_elements(:rels::json) r
)
select coalesce(json_agg(json_build_object(
         'schema', n.nspname,
         'table', c.relname,
         'name', ic.relname,
         'columns', array(select pg_get_indexdef(x.indexrelid, k, true)
                          from generate_series(1, x.indnkeyatts) k order by k))
       order by n.nspname, c.relname, ic.relname), '[]')
from wanted w
join pg_class c on c.relname = w.rel
join pg_namespace n on n.oid = c.relnamespace
  and (n.nspname = w.nsp or (w.nsp is null and pg_table_is_visible(c.oid)))
join pg_index x on x.indrelid = c.oid and x.indisvalid and x.indpred is null
join pg_class ic on ic.oid = x.indexrelid
