-- A function's DDL: kind, definition (pg_get_functiondef; NULL for aggregates), identity signature, comment. Params: $1 = oid of the function.
select p.prokind::text as kind,
       n.nspname::text as schema,
       p.proname::text as name,
       case when p.prokind <> 'a' then pg_get_functiondef(p.oid) end as definition,
       pg_get_function_identity_arguments(p.oid) as arguments,
       obj_description(p.oid, 'pg_proc') as comment
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
where p.oid = $1
