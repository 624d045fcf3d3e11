-- Roles as psql's \du lists them: name, attributes, memberships. Params: $1 = name regex or NULL.
select r.rolname::text as "Role name",
       concat_ws(', ',
         case when r.rolsuper then 'Superuser' end,
         case when not r.rolinherit then 'No inheritance' end,
         case when r.rolcreaterole then 'Create role' end,
         case when r.rolcreatedb then 'Create DB' end,
         case when not r.rolcanlogin then 'Cannot login' end,
         case when r.rolreplication then 'Replication' end,
         case when r.rolbypassrls then 'Bypass RLS' end,
         case when r.rolconnlimit >= 0 then r.rolconnlimit || ' connections' end) as "Attributes",
       (select string_agg(b.rolname::text, ', ' order by b.rolname)
          from pg_auth_members m join pg_roles b on b.oid = m.roleid
         where m.member = r.oid) as "Member of"
from pg_roles r
where r.rolname !~ '^pg_'
  and ($1::text is null or r.rolname ~ $1)
order by 1
