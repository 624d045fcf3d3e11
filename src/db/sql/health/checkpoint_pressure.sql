-- Timed and requested checkpoints (restartpoints on a standby) since that view's statistics reset, with max_wal_size and checkpoint_timeout. Cluster-wide: nothing when a schema is given. Params: $1 = schema (NULL: every user schema).
select ''::text as schema_name, null::text as table_name, 'max_wal_size'::text as object_name,
       {checkpoints_timed}::int8 as checkpoints_timed,
       {checkpoints_requested}::int8 as checkpoints_requested,
       pg_size_bytes(current_setting('max_wal_size'))::int8 as max_wal_size_bytes,
       extract(epoch from current_setting('checkpoint_timeout')::interval)::float8 as checkpoint_timeout_s,
       extract(epoch from now() - k.stats_reset)::float8 as seconds_counted,
       k.stats_reset::text as stats_reset,
       pg_is_in_recovery() as in_recovery
from {checkpoint_view} k
where $1::text is null
