-- Scan counts of user tables: sequential versus index scans, with the row estimate. Params: $1 = schema (NULL: every user schema); {last_seq_scan} is last_seq_scan on 16+, NULL before.
select s.schemaname as schema_name, s.relname as table_name, null::text as object_name,
       s.seq_scan as seq_scans, coalesce(s.idx_scan, 0) as index_scans,
       greatest(s.n_live_tup, greatest(c.reltuples, 0)::int8) as rows,
       s.seq_tup_read as rows_read_by_seq_scans,
       {last_seq_scan} as last_seq_scan
from pg_stat_user_tables s
join pg_class c on c.oid = s.relid
where s.seq_scan > 0 and c.relkind in ('r', 'm')
  and s.schemaname !~ '^pg_(toast|temp_)'
  and ($1::text is null or s.schemaname = $1::text)
order by 1, 2
