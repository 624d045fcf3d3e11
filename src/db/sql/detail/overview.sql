-- A table's overview for the detail view: names, kind, row estimate, sizes (heap, TOAST, indexes, total; these take an ACCESS SHARE lock, so a table locked exclusively makes lock_timeout fire), RLS flags, comment, and its pg_stat_user_tables activity. Params: $1 = oid of the table.
select n.nspname::text as schema, c.relname::text as name, c.relkind::text as relkind,
       c.reltuples::float8 as reltuples,
       pg_relation_size(c.oid) as heap_bytes,
       coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) as toast_bytes,
       pg_indexes_size(c.oid) as index_bytes,
       pg_total_relation_size(c.oid) as total_bytes,
       c.relrowsecurity as rls, c.relforcerowsecurity as rls_forced,
       obj_description(c.oid, 'pg_class') as comment,
       s.seq_scan, s.seq_tup_read, s.idx_scan, s.n_live_tup, s.n_dead_tup,
       s.n_tup_ins, s.n_tup_upd, s.n_tup_del,
       s.last_vacuum::text, s.last_autovacuum::text, s.last_analyze::text, s.last_autoanalyze::text
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
left join pg_stat_all_tables s on s.relid = c.oid
where c.oid = $1
