-- The COPY part of progress.sql (pg_stat_progress_copy, 14+). Params: none.
union all
select pid, 'COPY ' || command, type,
       case when datid = (select oid from here) then relid::regclass::text else relid::text end,
       bytes_processed::int8, nullif(bytes_total, 0)::int8
from pg_stat_progress_copy
