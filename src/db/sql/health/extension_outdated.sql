-- Installed extensions whose version differs from the default version the server's package provides, and whether an update path exists. Params: $1 = schema (NULL: every user schema).
select n.nspname as schema_name, null::text as table_name, e.extname::text as object_name,
       e.extversion::text as installed_version, a.default_version::text as default_version,
       exists (select 1 from pg_extension_update_paths(e.extname) u
               where u.source = e.extversion and u.target = a.default_version
                 and u.path is not null) as update_path
from pg_extension e
join pg_namespace n on n.oid = e.extnamespace
join pg_available_extensions a on a.name = e.extname
where a.default_version is distinct from e.extversion
  and ($1::text is null or n.nspname = $1::text)
order by 1, 3
