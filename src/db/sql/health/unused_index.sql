-- Non-unique valid indexes that back no constraint, foreign key or replica identity, with their scan counts since the statistics reset. Params: $1 = schema (NULL: every user schema); {last_idx_scan} is last_idx_scan on 16+, NULL before.
select s.schemaname as schema_name, s.relname as table_name, s.indexrelname as object_name,
       s.idx_scan as scans,
       {last_idx_scan} as last_scan,
       c.relpages::int8 * current_setting('block_size')::int8 as size_bytes
from pg_stat_user_indexes s
join pg_index i on i.indexrelid = s.indexrelid
join pg_class c on c.oid = s.indexrelid
where not i.indisunique and not i.indisprimary and not i.indisreplident and i.indisvalid
  and s.schemaname !~ '^pg_(toast|temp_)'
  and ($1::text is null or s.schemaname = $1::text)
  and not exists (select 1 from pg_constraint k
                  where k.conindid = i.indexrelid and k.contype in ('p', 'u', 'x'))
  and not exists (select 1 from pg_constraint f
                  where f.contype = 'f' and f.conrelid = i.indrelid
                    and (i.indkey::int2[])[0:cardinality(f.conkey) - 1] @> f.conkey
                    and (i.indkey::int2[])[0:cardinality(f.conkey) - 1] <@ f.conkey)
order by 1, 2, 3
