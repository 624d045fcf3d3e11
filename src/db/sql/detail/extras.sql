-- Triggers, policies, grants and dependents (views, materialized views and functions that depend on it) of a table for the detail view, as kind and text lines. Params: $1 = oid of the table.
select 'trigger' as kind, t.tgname::text as name,
       pg_get_triggerdef(t.oid) || case t.tgenabled when 'D' then ' (disabled)' else '' end as detail
from pg_trigger t where t.tgrelid = $1 and not t.tgisinternal
union all
select 'policy', p.polname::text,
       case when p.polpermissive then 'permissive' else 'restrictive' end
       || ' for ' || case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update'
                                   when 'd' then 'delete' else 'all' end
       || ' to ' || coalesce((select string_agg(case when r = 0 then 'public' else quote_ident(pg_get_userbyid(r)) end, ', ')
                              from unnest(p.polroles) r), 'public')
       || coalesce(' using (' || pg_get_expr(p.polqual, p.polrelid) || ')', '')
       || coalesce(' with check (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '')
from pg_policy p where p.polrelid = $1
union all
select 'grant', case when a.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(a.grantee)) end,
       string_agg(a.privilege_type || case when a.is_grantable then ' (grantable)' else '' end, ', ' order by a.privilege_type)
from pg_class c, aclexplode(c.relacl) a
where c.oid = $1
group by a.grantee
union all
select distinct 'dependent', v.oid::regclass::text,
       case v.relkind when 'v' then 'view' when 'm' then 'materialized view' else 'relation' end
from pg_depend d
join pg_rewrite r on r.oid = d.objid and d.classid = 'pg_rewrite'::regclass
join pg_class v on v.oid = r.ev_class
where d.refclassid = 'pg_class'::regclass and d.refobjid = $1 and v.oid <> $1
union all
select distinct 'dependent', d.objid::regprocedure::text, 'function'
from pg_depend d
where d.classid = 'pg_proc'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjid = $1
order by 1, 2
