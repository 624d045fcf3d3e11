-- Sessions from pg_stat_activity with ages in seconds and, for sessions waiting on a lock, the pids blocking them. Params: $1 = int4[] pids of pgdeck's own connections.
select a.pid,
       a.usename::text,
       a.datname::text,
       coalesce(a.application_name, '') as application,
       coalesce(host(a.client_addr), case when a.client_port = -1 then 'local' end) as client,
       coalesce(a.backend_type, '') as backend_type,
       a.state,
       a.wait_event_type,
       a.wait_event,
       extract(epoch from clock_timestamp() - a.xact_start)::float8 as xact_age_s,
       extract(epoch from clock_timestamp() - a.query_start)::float8 as query_age_s,
       -- pg_blocking_pids is costly: ask only for sessions that wait on a heavyweight lock
       case when a.wait_event_type = 'Lock' then pg_blocking_pids(a.pid) else '{}'::int4[] end as blocked_by,
       coalesce(a.query, '') as query,
       a.pid = any($1) as own
from pg_stat_activity a
order by (a.state = 'active') desc nulls last, a.query_start nulls last, a.pid
