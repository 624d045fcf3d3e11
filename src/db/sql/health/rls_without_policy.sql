-- Tables with row level security on and no policy. Params: $1 = schema (NULL: every user schema).
select n.nspname as schema_name, c.relname as table_name, null::text as object_name,
       c.relforcerowsecurity as forced,
       pg_get_userbyid(c.relowner)::text as owner
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and c.relrowsecurity
  and not exists (select 1 from pg_policy p where p.polrelid = c.oid)
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp_)'
  and ($1::text is null or n.nspname = $1::text)
order by 1, 2
