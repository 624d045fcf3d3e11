-- Names for editor completion, one row each: kind ('s' schema, 'r' relation, 'c' column, 'f' function, 't' type), schema, relation (for columns), name, visible (the search_path reaches it unqualified). Params: none.
select 's' as kind, n.nspname::text as schema, null::text as rel, n.nspname::text as name, true as visible
from pg_namespace n
where n.nspname !~ '^pg_(toast|temp)'
union all
select 'r', n.nspname::text, null, c.relname::text, pg_table_is_visible(c.oid)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'v', 'm', 'f') and n.nspname !~ '^pg_(toast|temp)'
union all
select 'c', n.nspname::text, c.relname::text, a.attname::text, true
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'v', 'm', 'f') and a.attnum > 0 and not a.attisdropped
  and n.nspname !~ '^pg_(toast|temp)'
union all
select distinct 'f', n.nspname::text, null::text, p.proname::text, pg_function_is_visible(p.oid)
from pg_proc p join pg_namespace n on n.oid = p.pronamespace
where p.prokind in ('f', 'a', 'w')
union all
select 't', n.nspname::text, null, t.typname::text, pg_type_is_visible(t.oid)
from pg_type t join pg_namespace n on n.oid = t.typnamespace
where t.typtype in ('b', 'd', 'e', 'r', 'm') and t.typname !~ '^_'
  and n.nspname not in ('pg_catalog', 'information_schema')
order by 1, 2, 3
