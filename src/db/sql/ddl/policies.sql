-- The row-level security policies of a table: name, permissive, command, roles (empty = PUBLIC), USING and WITH CHECK expressions, comment. Params: $1 = oid of the table.
select p.polname::text as name,
       p.polpermissive as permissive,
       p.polcmd::text as command,
       coalesce((select array_agg(case when r = 0 then 'public' else pg_get_userbyid(r)::text end order by k)
                 from unnest(p.polroles) with ordinality u(r, k)
                 where r <> 0), '{}')::text[] as roles,
       pg_get_expr(p.polqual, p.polrelid) as using_expr,
       pg_get_expr(p.polwithcheck, p.polrelid) as check_expr,
       obj_description(p.oid, 'pg_policy') as comment
from pg_policy p
where p.polrelid = $1
order by p.polname
