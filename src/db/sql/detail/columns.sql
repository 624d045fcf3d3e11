-- A relation's columns for the detail view: name, type with modifiers, NOT NULL, default, identity (a/d), generated expression, collation when not the type's, comment, and pg_stats' null fraction and n_distinct (NULL before ANALYZE). Params: $1 = oid of the relation.
select a.attname::text as name,
       format_type(a.atttypid, a.atttypmod) as type,
       a.attnotnull as not_null,
       case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end as default_expr,
       a.attidentity::text as identity,
       case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end as generated_expr,
       case when a.attcollation <> t.typcollation and a.attcollation <> 0 then co.collname::text end as collation,
       col_description(a.attrelid, a.attnum) as comment,
       st.null_frac::float8 as null_frac,
       st.n_distinct::float8 as n_distinct
from pg_attribute a
join pg_type t on t.oid = a.atttypid
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
left join pg_collation co on co.oid = a.attcollation
left join pg_stats st on st.schemaname = n.nspname and st.tablename = c.relname and st.attname = a.attname
                      and not st.inherited
where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
order by a.attnum
