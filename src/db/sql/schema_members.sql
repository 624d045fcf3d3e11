-- Triggers (user-defined, not cloned onto partitions) and row-level security policies for the tree: kind (trigger, policy), schema oid, table oid, table name, name, a short description. Params: none.
select 'trigger' as kind, c.relnamespace as schema_oid, c.oid as table_oid, c.relname::text as table_name,
       t.tgname::text as name,
       case when t.tgenabled = 'D' then 'disabled' else '' end as detail
from pg_trigger t
join pg_class c on c.oid = t.tgrelid
join pg_namespace n on n.oid = c.relnamespace
where not t.tgisinternal and t.tgparentid = 0
  and n.nspname not in ('pg_catalog', 'information_schema')
union all
select 'policy', c.relnamespace, c.oid, c.relname::text, p.polname::text,
       case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update'
                     when 'd' then 'delete' else 'all' end
from pg_policy p
join pg_class c on c.oid = p.polrelid
order by 1, 2, 4, 5
