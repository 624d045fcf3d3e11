-- The WAL archiver when its last attempt failed after its last success, while archiving is on. Cluster-wide: nothing when a schema is given. Params: $1 = schema (NULL: every user schema).
select ''::text as schema_name, null::text as table_name, a.last_failed_wal::text as object_name,
       a.failed_count::int8 as failed_count, a.last_failed_time::text as last_failed_time,
       a.archived_count::int8 as archived_count, a.last_archived_wal::text as last_archived_wal,
       a.last_archived_time::text as last_archived_time,
       current_setting('archive_mode') as archive_mode,
       a.stats_reset::text as stats_reset
from pg_stat_archiver a
where a.failed_count > 0
  and a.last_failed_time > coalesce(a.last_archived_time, '-infinity')
  and current_setting('archive_mode') <> 'off'
  and $1::text is null
