-- On a standby: WAL received but not replayed (bytes) and the age of the last replayed commit (seconds). Params: none.
select pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::int8 as receive_replay_bytes,
       extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp())::float8 as replay_lag_s
