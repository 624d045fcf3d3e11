-- The user triggers of a relation for its DDL: name, definition (pg_get_triggerdef), enabled state, whether cloned from a parent partitioned table, comment. Params: $1 = oid of the relation.
select t.tgname::text as name,
       pg_get_triggerdef(t.oid) as definition,
       t.tgenabled::text as enabled,
       (t.tgparentid <> 0) as from_parent,
       obj_description(t.oid, 'pg_trigger') as comment
from pg_trigger t
where t.tgrelid = $1 and not t.tgisinternal
order by t.tgname
