-- Functions as psql's \df lists them: schema, name, result type, arguments, kind. Params: $1 = schema regex or NULL, $2 = name regex or NULL, $3 = include system schemas.
select n.nspname::text as "Schema",
       p.proname::text as "Name",
       coalesce(pg_get_function_result(p.oid), '')::text as "Result data type",
       pg_get_function_arguments(p.oid)::text as "Argument data types",
       case p.prokind when 'a' then 'agg' when 'w' then 'window' when 'p' then 'proc' else 'func' end as "Type"
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
where ($1::text is null or n.nspname ~ $1)
  and ($2::text is null or p.proname ~ $2)
  and ($3 or n.nspname not in ('pg_catalog', 'information_schema'))
  and ($1::text is not null or pg_function_is_visible(p.oid))
order by 1, 2, 4
