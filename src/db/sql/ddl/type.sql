-- A type's DDL facts: names, kind (enum, domain, composite, range), enum labels, domain base type, default, NOT NULL, collation and constraints (JSON [{name, definition}]), composite attributes (JSON [{name, type, collation}]), range subtype, comment, the name of a domain's NOT NULL constraint (PostgreSQL 17 names it; NULL before). Params: $1 = oid of the type.
select n.nspname::text as schema,
       t.typname::text as name,
       t.typtype::text as kind,
       coalesce((select array_agg(e.enumlabel::text order by e.enumsortorder)
                 from pg_enum e where e.enumtypid = t.oid), '{}')::text[] as labels,
       case when t.typtype = 'd' then format_type(t.typbasetype, t.typtypmod) end as base_type,
       t.typdefault as default_expr,
       t.typnotnull as not_null,
       case when t.typtype = 'd' and t.typcollation <> bt.typcollation and t.typcollation <> 0
            then (select quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
                  from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace
                  where co.oid = t.typcollation) end as collation,
       coalesce((select json_agg(json_build_object('name', k.conname::text, 'definition', pg_get_constraintdef(k.oid))
                          order by k.conname)
                 from pg_constraint k where k.contypid = t.oid and k.contype = 'c'), '[]')::text as constraints,
       coalesce((select json_agg(json_build_object(
                                  'name', a.attname::text,
                                  'type', format_type(a.atttypid, a.atttypmod),
                                  'collation', case when a.attcollation <> at.typcollation and a.attcollation <> 0
                                       then (select quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
                                             from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace
                                             where co.oid = a.attcollation) end)
                                  order by a.attnum)
                 from pg_attribute a join pg_type at on at.oid = a.atttypid
                 where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped), '[]')::text as attributes,
       (select format_type(r.rngsubtype, null) from pg_range r where r.rngtypid = t.oid) as range_subtype,
       obj_description(t.oid, 'pg_type') as comment,
       (select k.conname::text from pg_constraint k
        where k.contypid = t.oid and k.contype = 'n' limit 1) as not_null_name
from pg_type t
join pg_namespace n on n.oid = t.typnamespace
left join pg_type bt on bt.oid = t.typbasetype
where t.oid = $1
