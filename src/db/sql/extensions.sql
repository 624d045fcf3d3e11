-- Installed extensions with version and schema, by name. Params: none.
select e.extname::text, e.extversion, n.nspname::text
from pg_extension e
join pg_namespace n on n.oid = e.extnamespace
order by e.extname
