-- Inactive replication slots with the WAL they hold back (from the replay position on a standby) and the vacuum horizon they pin. Cluster-wide: nothing when a schema is given. Params: $1 = schema (NULL: every user schema).
select ''::text as schema_name, null::text as table_name, s.slot_name::text as object_name,
       s.slot_type::text as slot_type, s.plugin::text as plugin, s.database::text as database,
       pg_wal_lsn_diff(case when pg_is_in_recovery() then pg_last_wal_replay_lsn()
                            else pg_current_wal_lsn() end,
                       s.restart_lsn)::int8 as retained_bytes,
       s.wal_status::text as wal_status,
       {inactive_since} as inactive_since,
       age(s.xmin)::int8 as xmin_age, age(s.catalog_xmin)::int8 as catalog_xmin_age,
       pg_is_in_recovery() as in_recovery
from pg_replication_slots s
where not s.active
  and $1::text is null
order by 7 desc nulls last, 3
