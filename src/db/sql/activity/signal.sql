-- Cancel or terminate one session only if (pid, backend_start) still match, never this connection; returns 'signalled', 'not signalled' or 'gone'. Params: $1 = int4 pid, $2 = int8 backend_start in microseconds since the epoch. {fn} is pg_cancel_backend or pg_terminate_backend.
select case when a.pid is null then 'gone'
            when {fn}(a.pid) then 'signalled'
            else 'not signalled' end as outcome
from (select 1) one
left join pg_stat_activity a
       on a.pid = $1
      and (extract(epoch from a.backend_start) * 1000000)::int8 = $2
      and a.pid <> pg_backend_pid()
