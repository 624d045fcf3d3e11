-- Schemas of this database where PUBLIC (every role) has CREATE, as schema public had by default before PostgreSQL 15. Params: $1 = schema (NULL: every user schema).
select n.nspname as schema_name, null::text as table_name, null::text as object_name,
       pg_get_userbyid(n.nspowner)::text as owner,
       n.nspacl::text as acl
from pg_namespace n
where has_schema_privilege('public', n.oid, 'CREATE')
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp_)'
  and ($1::text is null or n.nspname = $1::text)
order by 1
