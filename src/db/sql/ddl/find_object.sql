-- The objects a name designates: relations, functions/procedures/aggregates and types (enum, domain, composite, range), as kind, oid, schema, name. Params: $1 = schema name or NULL (then only objects visible on the search_path), $2 = object name.
select 'rel:' || c.relkind::text as kind, c.oid, n.nspname::text as schema, c.relname::text as name
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relname = $2
  and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S', 'i', 'I')
  and (case when $1::text is null then pg_table_is_visible(c.oid) else n.nspname = $1::text end)
union all
select 'fn:' || p.prokind::text, p.oid, n.nspname::text, p.proname::text
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
where p.proname = $2
  and (case when $1::text is null then pg_function_is_visible(p.oid) else n.nspname = $1::text end)
union all
select 'type:' || t.typtype::text, t.oid, n.nspname::text, t.typname::text
from pg_type t
join pg_namespace n on n.oid = t.typnamespace
left join pg_class tc on tc.oid = t.typrelid
where t.typname = $2
  and t.typtype in ('e', 'd', 'r', 'c')
  and (t.typtype <> 'c' or tc.relkind = 'c')
  and (case when $1::text is null then pg_type_is_visible(t.oid) else n.nspname = $1::text end)
order by 1, 2
