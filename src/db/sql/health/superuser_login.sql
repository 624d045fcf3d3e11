-- Roles that can log in with superuser rights, other than the bootstrap superuser (oid 10). Cluster-wide: nothing when a schema is given. Params: $1 = schema (NULL: every user schema).
select ''::text as schema_name, null::text as table_name, r.rolname::text as object_name,
       (select count(*) from pg_stat_activity a where a.usesysid = r.oid)::int8 as sessions,
       r.rolvaliduntil::text as valid_until
from pg_roles r
where r.rolsuper and r.rolcanlogin and r.oid <> 10
  and $1::text is null
order by 3
