-- One row of server vitals: clock, max_connections minus reserved, counters summed over pg_stat_database, oldest datfrozenxid, recovery. Connection counts and the longest transaction come from the sessions query. Params: none.
select extract(epoch from clock_timestamp())::float8 as at_s,
       current_setting('max_connections')::int8 as max_connections,
       current_setting('superuser_reserved_connections')::int8
         + coalesce(current_setting('reserved_connections', true)::int8, 0) as reserved_connections,
       s.xact_commit, s.xact_rollback, s.tup_returned, s.tup_fetched, s.tup_inserted, s.tup_updated,
       s.tup_deleted, s.blks_read, s.blks_hit, s.deadlocks, s.temp_files, s.temp_bytes,
       f.datname::text as frozen_db,
       f.age::int8 as frozen_age,
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
left join lateral (select datname, age(datfrozenxid) as age from pg_database
                   order by age(datfrozenxid) desc limit 1) f on true
