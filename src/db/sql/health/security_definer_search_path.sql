-- SECURITY DEFINER functions and procedures without search_path in their SET options (extension members left out), with their owner and who may run them. Params: $1 = schema (NULL: every user schema).
select n.nspname as schema_name, null::text as table_name, p.proname::text as object_name,
       nullif(pg_get_function_identity_arguments(p.oid), '') as arguments,
       case p.prokind when 'p' then 'procedure' else 'function' end as kind,
       pg_get_userbyid(p.proowner)::text as owner,
       coalesce((select r.rolsuper from pg_roles r where r.oid = p.proowner), false) as owner_superuser,
       has_function_privilege('public', p.oid, 'EXECUTE') as public_execute
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
where p.prosecdef
  and not exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%')
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp_)'
  and ($1::text is null or n.nspname = $1::text)
  and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass
                  and d.objid = p.oid and d.deptype = 'e')
order by 1, 3, 4
