-- One row of facts about the server and the connected role, read once at connect. Params: none.
select current_setting('server_version_num')::int4 as version_num,
       current_setting('server_version') as version,
       pg_is_in_recovery() as in_recovery,
       current_database()::text as database,
       current_user::text as "user",
       r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls,
       r.rolsuper or pg_has_role(current_user, 'pg_monitor', 'member') as pg_monitor,
       r.rolsuper or pg_has_role(current_user, 'pg_signal_backend', 'member') as pg_signal_backend,
       current_setting('default_transaction_read_only')::bool as read_only,
       pg_postmaster_start_time()::text as started_at,
       (select d.stats_reset::text from pg_stat_database d where d.datname = current_database()) as stats_reset,
       pg_backend_pid() as pid
from pg_roles r
where r.rolname = current_user
