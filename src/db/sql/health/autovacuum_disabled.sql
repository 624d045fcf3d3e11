-- Tables and materialized views whose storage options switch autovacuum off (their own or their TOAST table's), with their vacuum state. Params: $1 = schema (NULL: every user schema).
select n.nspname as schema_name, c.relname as table_name, null::text as object_name,
       case c.relkind when 'm' then 'materialized view' else 'table' end as kind,
       coalesce(o.table_off, false) as table_off, coalesce(o.toast_off, false) as toast_off,
       s.n_dead_tup::int8 as dead_tuples, s.n_live_tup::int8 as live_tuples,
       greatest(s.last_vacuum, s.last_autovacuum)::text as last_vacuum,
       greatest(s.last_analyze, s.last_autoanalyze)::text as last_analyze
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
left join pg_class t on t.oid = c.reltoastrelid
left join pg_stat_all_tables s on s.relid = c.oid
-- a boolean reloption keeps the spelling it was given: off, false, no, 0 and their prefixes
cross join lateral (
  select (select bool_or(x ~* '^autovacuum_enabled=(f|fa|fal|fals|false|n|no|of|off|0)$')
          from unnest(c.reloptions) x) as table_off,
         (select bool_or(x ~* '^autovacuum_enabled=(f|fa|fal|fals|false|n|no|of|off|0)$')
          from unnest(t.reloptions) x) as toast_off
) o
where c.relkind in ('r', 'm')
  and (o.table_off or o.toast_off)
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp_)'
  and ($1::text is null or n.nspname = $1::text)
order by 1, 2
