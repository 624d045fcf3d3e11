-- Sessions holding a lock on a relation (when a detail view gave up after lock_timeout): pid, lock mode, state, the start of its query. Params: $1 = oid of the relation.
select l.pid, l.mode::text, coalesce(a.state, '')::text as state, left(coalesce(a.query, ''), 80) as query
from pg_locks l
left join pg_stat_activity a on a.pid = l.pid
where l.locktype = 'relation' and l.relation = $1 and l.granted
order by case l.mode when 'AccessExclusiveLock' then 0 else 1 end, l.pid
