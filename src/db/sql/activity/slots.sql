-- Replication slots and the WAL each retains, in bytes. Params: none.
select slot_name::text as name,
       slot_type as kind,
       active,
       pg_wal_lsn_diff(case when pg_is_in_recovery() then pg_last_wal_replay_lsn()
                            else pg_current_wal_lsn() end, restart_lsn)::int8 as retained_bytes
from pg_replication_slots
order by slot_name
