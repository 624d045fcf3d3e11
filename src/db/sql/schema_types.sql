-- User-defined types of user schemas for the tree (enums with their labels, domains with base type and constraints, standalone composites, ranges): schema oid, oid, name, kind (e, d, c, r), detail. Params: none.
select t.typnamespace as schema_oid,
       t.oid,
       t.typname::text as name,
       t.typtype::text as kind,
       case t.typtype
         when 'e' then (select string_agg(quote_literal(e.enumlabel::text), ', ' order by e.enumsortorder)
                        from pg_enum e where e.enumtypid = t.oid)
         when 'd' then format_type(t.typbasetype, t.typtypmod)
                       || case when t.typnotnull then ' not null' else '' end
                       || coalesce((select ' ' || string_agg(pg_get_constraintdef(k.oid), ' ' order by k.conname)
                                    from pg_constraint k where k.contypid = t.oid), '')
         when 'c' then (select string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' order by a.attnum)
                        from pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped)
         when 'r' then (select format_type(r.rngsubtype, null) from pg_range r where r.rngtypid = t.oid)
       end as detail
from pg_type t
join pg_namespace n on n.oid = t.typnamespace
left join pg_class c on c.oid = t.typrelid
where t.typtype in ('e', 'd', 'c', 'r')
  and (t.typtype <> 'c' or c.relkind = 'c')
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_toast' and n.nspname !~ '^pg_temp_'
  and not exists (select 1 from pg_depend d where d.classid = 'pg_type'::regclass and d.objid = t.oid and d.deptype = 'e')
order by t.typnamespace, t.typname
