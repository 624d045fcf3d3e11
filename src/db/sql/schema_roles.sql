-- Roles for the tree (not the pg_ predefined ones): name, attributes (superuser, login, createdb, createrole, replication, bypassrls), connection limit, the roles it is a member of. Params: none.
select r.rolname::text as name,
       r.rolsuper as superuser, r.rolcanlogin as login, r.rolcreatedb as createdb,
       r.rolcreaterole as createrole, r.rolreplication as replication, r.rolbypassrls as bypassrls,
       r.rolconnlimit as connection_limit,
       coalesce((select array_agg(g.rolname::text order by g.rolname)
                 from pg_auth_members m join pg_roles g on g.oid = m.roleid
                 where m.member = r.oid), '{}')::text[] as member_of
from pg_roles r
where r.rolname !~ '^pg_'
order by r.rolname
