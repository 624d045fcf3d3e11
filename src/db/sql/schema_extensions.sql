-- Extensions for the tree, installed first: name, installed version (NULL when not installed), default available version, schema, comment. Params: none.
select a.name::text, a.installed_version::text, a.default_version::text,
       (select n.nspname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = a.name) as schema,
       a.comment
from pg_available_extensions a
order by a.installed_version is null, a.name
