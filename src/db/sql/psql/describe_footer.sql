-- What psql's \d lists under the columns: indexes, check/foreign-key/exclusion constraints, foreign keys pointing here, triggers, the view definition. Params: $1 = oid of the relation.
select 'index' as "Kind", c2.relname::text as "Name",
       pg_get_indexdef(i.indexrelid) || case when not i.indisvalid then ' INVALID' else '' end as "Definition"
from pg_index i join pg_class c2 on c2.oid = i.indexrelid
where i.indrelid = $1
union all
select case con.contype when 'c' then 'check' when 'f' then 'foreign key' when 'x' then 'exclusion'
            else con.contype::text end,
       con.conname::text,
       pg_get_constraintdef(con.oid) || case when not con.convalidated then ' NOT VALID' else '' end
from pg_constraint con
where con.conrelid = $1 and con.contype in ('c', 'f', 'x')
union all
select 'referenced by', con.conname::text,
       'TABLE ' || con.conrelid::regclass::text || ' ' || pg_get_constraintdef(con.oid)
from pg_constraint con
where con.confrelid = $1 and con.contype = 'f'
union all
select 'trigger', t.tgname::text, pg_get_triggerdef(t.oid)
from pg_trigger t
where t.tgrelid = $1 and not t.tgisinternal
union all
select 'view definition', '', pg_get_viewdef($1, true)
from pg_class v
where v.oid = $1 and v.relkind in ('v', 'm')
