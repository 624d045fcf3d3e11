-- A table's indexes for the detail view: name, definition, method, unique, primary, partial predicate, INCLUDE column count, size, scans, valid, ready. Params: $1 = oid of the table.
select ic.relname::text as name,
       pg_get_indexdef(i.indexrelid) as definition,
       am.amname::text as method,
       i.indisunique as is_unique,
       i.indisprimary as is_primary,
       pg_get_expr(i.indpred, i.indrelid) as predicate,
       (i.indnatts - i.indnkeyatts)::int4 as include_columns,
       pg_relation_size(i.indexrelid) as bytes,
       coalesce(s.idx_scan, 0) as scans,
       i.indisvalid as valid,
       i.indisready as ready
from pg_index i
join pg_class ic on ic.oid = i.indexrelid
join pg_am am on am.oid = ic.relam
left join pg_stat_all_indexes s on s.indexrelid = i.indexrelid
where i.indrelid = $1
order by i.indisprimary desc, ic.relname
