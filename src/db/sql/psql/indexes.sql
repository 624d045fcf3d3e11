-- Indexes as psql's \di lists them: schema, name, type, owner, table. Params: $1 = schema regex or NULL, $2 = name regex or NULL, $3 = include system schemas.
select n.nspname::text as "Schema",
       c.relname::text as "Name",
       case c.relkind when 'I' then 'partitioned index' else 'index' end as "Type",
       pg_get_userbyid(c.relowner)::text as "Owner",
       t.relname::text as "Table"
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_index x on x.indexrelid = c.oid
join pg_class t on t.oid = x.indrelid
where c.relkind in ('i', 'I')
  and ($1::text is null or n.nspname ~ $1)
  and ($2::text is null or c.relname ~ $2)
  and ($3 or (n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'))
  and ($1::text is not null or pg_table_is_visible(c.oid))
order by 1, 2
