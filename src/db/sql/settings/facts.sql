-- Facts the setting findings use besides pg_settings: the database and role (fix SQL for settings made with ALTER DATABASE/ROLE), client connections now, and sessions idle in a transaction for more than 10 minutes (other roles' sessions count only with pg_read_all_stats). Params: none.
select current_database()::text,
       current_user::text,
       count(*) filter (where a.backend_type = 'client backend')::int8 as client_connections,
       count(*) filter (where a.state like 'idle in transaction%'
                          and a.state_change < now() - interval '10 minutes')::int8 as idle_in_tx_long,
       extract(epoch from max(now() - a.state_change)
                 filter (where a.state like 'idle in transaction%'
                           and a.state_change < now() - interval '10 minutes'))::float8 as idle_in_tx_oldest_s
from pg_catalog.pg_stat_activity a
