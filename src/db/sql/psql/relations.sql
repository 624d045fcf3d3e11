-- Relations as psql's \d / \dt / \dv / \dm / \ds / \dE list them: schema, name, type, owner. Params: $1 = text of relkinds to include (e.g. 'rp'), $2 = schema regex or NULL, $3 = name regex or NULL, $4 = include system schemas.
select n.nspname::text as "Schema",
       c.relname::text as "Name",
       case c.relkind
            when 'r' then 'table' when 'p' then 'partitioned table' when 'v' then 'view'
            when 'm' then 'materialized view' when 'S' then 'sequence' when 'f' then 'foreign table'
            when 'i' then 'index' when 'I' then 'partitioned index' when 't' then 'TOAST table'
            else c.relkind::text end as "Type",
       pg_get_userbyid(c.relowner)::text as "Owner"
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where strpos($1, c.relkind::text) > 0
  and ($2::text is null or n.nspname ~ $2)
  and ($3::text is null or c.relname ~ $3)
  and ($4 or (n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'))
  -- as psql: without a schema in the pattern, only what the search_path makes visible
  and ($2::text is not null or pg_table_is_visible(c.oid))
order by 1, 2
