-- Roles whose password is stored as an MD5 hash. pg_authid is readable only by superusers: for anyone else the check cannot run. Cluster-wide: nothing when a schema is given. Params: $1 = schema (NULL: every user schema).
select ''::text as schema_name, null::text as table_name, a.rolname::text as object_name,
       a.rolcanlogin as can_login, a.rolvaliduntil::text as valid_until
from pg_authid a
where a.rolpassword like 'md5%'
  and $1::text is null
order by 3
