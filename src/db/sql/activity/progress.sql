-- Running VACUUM, ANALYZE, CREATE INDEX, CLUSTER, COPY (14+, {copy}) and base backups from pg_stat_progress_*, with work done and total. Params: none.
with here as (select oid from pg_database where datname = current_database())
select pid, 'VACUUM' as command, phase,
       case when datid = (select oid from here) then relid::regclass::text else relid::text end as relation,
       heap_blks_scanned::int8 as done, heap_blks_total::int8 as total
from pg_stat_progress_vacuum
union all
select pid, 'ANALYZE', phase,
       case when datid = (select oid from here) then relid::regclass::text else relid::text end,
       sample_blks_scanned::int8, sample_blks_total::int8
from pg_stat_progress_analyze
union all
select pid, command, phase,
       case when datid = (select oid from here) then relid::regclass::text else relid::text end,
       coalesce(nullif(blocks_done, 0), tuples_done)::int8,
       coalesce(nullif(blocks_total, 0), tuples_total)::int8
from pg_stat_progress_create_index
union all
select pid, command, phase,
       case when datid = (select oid from here) then relid::regclass::text else relid::text end,
       heap_blks_scanned::int8, heap_blks_total::int8
from pg_stat_progress_cluster
{copy}
union all
select pid, 'BASE BACKUP', phase, null::text, backup_streamed::int8, backup_total::int8
from pg_stat_progress_basebackup
order by 1
