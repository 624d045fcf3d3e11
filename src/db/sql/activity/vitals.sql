-- One row of server vitals: clock, connection counts against max_connections minus reserved, counters summed over pg_stat_database, longest transaction, oldest datfrozenxid. Params: none.
with act as materialized (
    select state, pid, xact_start from pg_stat_activity where backend_type = 'client backend'
)
select extract(epoch from clock_timestamp())::float8 as at_s,
       current_setting('max_connections')::int8 as max_connections,
       current_setting('superuser_reserved_connections')::int8
         + coalesce(current_setting('reserved_connections', true)::int8, 0) as reserved_connections,
       (select count(*) from act) as connections,
       (select coalesce(array_agg(coalesce(state, 'unknown') order by state), '{}') from act) as states,
       s.xact_commit, s.xact_rollback, s.tup_returned, s.tup_fetched, s.tup_inserted, s.tup_updated,
       s.tup_deleted, s.blks_read, s.blks_hit, s.deadlocks, s.temp_files, s.temp_bytes,
       (select pid from act where xact_start is not null order by xact_start limit 1) as longest_xact_pid,
       (select extract(epoch from clock_timestamp() - min(xact_start))::float8 from act) as longest_xact_s,
       (select datname::text from pg_database order by age(datfrozenxid) desc limit 1) as frozen_db,
       (select max(age(datfrozenxid))::int8 from pg_database) as frozen_age,
       pg_is_in_recovery() as in_recovery
from (select coalesce(sum(xact_commit), 0)::int8 as xact_commit,
             coalesce(sum(xact_rollback), 0)::int8 as xact_rollback,
             coalesce(sum(tup_returned), 0)::int8 as tup_returned,
             coalesce(sum(tup_fetched), 0)::int8 as tup_fetched,
             coalesce(sum(tup_inserted), 0)::int8 as tup_inserted,
             coalesce(sum(tup_updated), 0)::int8 as tup_updated,
             coalesce(sum(tup_deleted), 0)::int8 as tup_deleted,
             coalesce(sum(blks_read), 0)::int8 as blks_read,
             coalesce(sum(blks_hit), 0)::int8 as blks_hit,
             coalesce(sum(deadlocks), 0)::int8 as deadlocks,
             coalesce(sum(temp_files), 0)::int8 as temp_files,
             coalesce(sum(temp_bytes), 0)::int8 as temp_bytes
      from pg_stat_database) s
