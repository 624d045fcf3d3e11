-- Functions, procedures and aggregates of user schemas for the tree: schema oid, oid, name, identity arguments, result type, kind (f, p, a, w). Params: none.
select p.pronamespace as schema_oid,
       p.oid,
       p.proname::text as name,
       pg_get_function_identity_arguments(p.oid) as arguments,
       coalesce(pg_get_function_result(p.oid), '') as result,
       p.prokind::text as kind
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
where n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_toast' and n.nspname !~ '^pg_temp_'
  -- functions an extension brings are the extension's, not the schema's
  and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
order by p.pronamespace, p.proname, 4
