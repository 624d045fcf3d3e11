-- The extended statistics objects on a relation: qualified name (quoted), definition, statistics target, comment. Params: $1 = oid of the relation.
select quote_ident(n.nspname) || '.' || quote_ident(s.stxname) as name,
       pg_get_statisticsobjdef(s.oid) as definition,
       s.stxstattarget::int4 as stat_target,
       obj_description(s.oid, 'pg_statistic_ext') as comment
from pg_statistic_ext s
join pg_namespace n on n.oid = s.stxnamespace
where s.stxrelid = $1
order by s.stxname
