-- Standbys as the primary sees them, with lags in seconds. Params: none.
select coalesce(application_name, '') as name,
       host(client_addr) as client,
       state,
       extract(epoch from write_lag)::float8 as write_lag_s,
       extract(epoch from flush_lag)::float8 as flush_lag_s,
       extract(epoch from replay_lag)::float8 as replay_lag_s
from pg_stat_replication
order by application_name
