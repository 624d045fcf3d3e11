-- Non-unique valid indexes that back no constraint, foreign key or replica identity, with their scan counts since the statistics reset; indexes of partitions are rolled up into their partitioned parent index. Params: $1 = schema (NULL: every user schema); {last_idx_scan} is last_idx_scan on 16+, NULL before; {table:...} is `true`, or that condition on the table of a one-table run.
with usage as (
  select coalesce(pg_partition_root(s.indexrelid), s.indexrelid) as root,
         s.idx_scan, {last_idx_scan} as last_scan,
         c.relpages::int8 * current_setting('block_size')::int8 as size_bytes
  from pg_stat_user_indexes s
  join pg_class c on c.oid = s.indexrelid
  where s.schemaname !~ '^pg_(toast|temp_)'
    -- a partition's indexes count for its root table's
    and {table:s.relid in (select r.oid from pg_class r where r.relname = $table
                           union all
                           select p.relid from pg_class r cross join lateral pg_partition_tree(r.oid) p
                           where r.relname = $table)}
), per_root as (
  select root, sum(idx_scan)::int8 as scans, max(last_scan) as last_scan,
         sum(size_bytes)::int8 as size_bytes, count(*)::int8 as parts
  from usage group by root
)
select n.nspname as schema_name, t.relname as table_name, c.relname as object_name,
       u.scans, u.last_scan, u.size_bytes,
       c.relkind = 'I' as partitioned,
       case when c.relkind = 'I' then u.parts end as partitions
from per_root u
join pg_index i on i.indexrelid = u.root
join pg_class c on c.oid = i.indexrelid
join pg_class t on t.oid = i.indrelid
join pg_namespace n on n.oid = t.relnamespace
where not i.indisunique and not i.indisprimary and not i.indisreplident and i.indisvalid
  and ($1::text is null or n.nspname = $1::text)
  and not exists (select 1 from pg_constraint k
                  where k.conindid = i.indexrelid and k.contype in ('p', 'u', 'x'))
  and not exists (select 1 from pg_constraint f
                  where f.contype = 'f' and f.conrelid = i.indrelid
                    and (i.indkey::int2[])[0:cardinality(f.conkey) - 1] @> f.conkey
                    and (i.indkey::int2[])[0:cardinality(f.conkey) - 1] <@ f.conkey)
order by 1, 2, 3
