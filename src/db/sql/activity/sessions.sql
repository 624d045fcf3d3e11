-- Sessions from pg_stat_activity with ages in seconds (date_part: float8 directly, no numeric per row), the backend start (identity for signals) and, for sessions waiting on a heavyweight lock, the pids blocking them and the lock they wait for; xmin_age is how far the session holds the xmin horizon back. Connection counts, the longest transaction and the backend xmin holder of the vitals are computed from these rows (one pg_stat_activity scan per refresh). Params: $1 = int4[] pids of pgdeck's own connections. {query_id} and {waitstart} are replaced by version (query_id 14+, pg_locks.waitstart 14+).
with waits as materialized (
    -- one scan of pg_locks for every waiter; ::regclass resolves only this database's relations
    select distinct on (l.pid) l.pid, l.locktype, l.mode,
           case when l.relation is null then null
                when l.database = (select oid from pg_database where datname = current_database())
                     then l.relation::regclass::text
                else l.relation::text end as relation,
           {waitstart} as waitstart
    from pg_locks l
    where not l.granted
    order by l.pid
)
select a.pid,
       a.leader_pid,
       a.usename::text,
       a.datname::text,
       coalesce(a.application_name, '') as application,
       coalesce(host(a.client_addr), case when a.client_port = -1 then 'local' end) as client,
       coalesce(a.backend_type, '') as backend_type,
       a.state,
       a.wait_event_type,
       a.wait_event,
       (extract(epoch from a.backend_start) * 1000000)::int8 as backend_start_us,
       date_part('epoch', clock_timestamp() - a.xact_start) as xact_age_s,
       date_part('epoch', clock_timestamp() - a.query_start) as query_age_s,
       date_part('epoch', clock_timestamp() - a.state_change) as state_age_s,
       {query_id} as query_id,
       greatest(age(a.backend_xmin), age(a.backend_xid))::int8 as xmin_age,
       -- pg_blocking_pids is costly: ask only for sessions that wait on a heavyweight lock
       case when a.wait_event_type = 'Lock' then pg_blocking_pids(a.pid) else '{}'::int4[] end as blocked_by,
       w.locktype as lock_type,
       w.mode as lock_mode,
       w.relation as lock_relation,
       date_part('epoch', clock_timestamp() - coalesce(w.waitstart, a.state_change)) as lock_wait_s,
       coalesce(a.query, '') as query,
       a.pid = any($1) as own
from pg_stat_activity a
left join waits w on w.pid = a.pid and a.wait_event_type = 'Lock'
