-- Schemas as psql's \dn lists them: name, owner. Params: $1 = name regex or NULL, $2 = include system schemas.
select n.nspname::text as "Name", pg_get_userbyid(n.nspowner)::text as "Owner"
from pg_namespace n
where ($1::text is null or n.nspname ~ $1)
  and ($2 or (n.nspname !~ '^pg_' and n.nspname <> 'information_schema'))
order by 1
