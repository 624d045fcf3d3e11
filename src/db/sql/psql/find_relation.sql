-- The relation a \d pattern names (the first match by schema, name): oid, schema, name, kind. Params: $1 = schema regex or NULL, $2 = name regex.
select c.oid, n.nspname::text, c.relname::text, c.relkind::text
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where ($1::text is null or n.nspname ~ $1)
  and c.relname ~ $2
  and ($1::text is not null or pg_table_is_visible(c.oid))
order by n.nspname, c.relname
limit 1
