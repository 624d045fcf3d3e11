-- Foreign keys with a column whose type or type modifier differs from the referenced column. Params: $1 = schema (NULL: every user schema).
select n.nspname as schema_name, t.relname as table_name, k.conname as object_name,
       k.confrelid::regclass::text as referenced_table,
       string_agg(format('%s %s -> %s %s', quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
                         quote_ident(r.attname), format_type(r.atttypid, r.atttypmod)), ', '
                  order by u.ord) as mismatched_columns
from pg_constraint k
join pg_class t on t.oid = k.conrelid
join pg_namespace n on n.oid = t.relnamespace
cross join lateral unnest(k.conkey, k.confkey) with ordinality u(attnum, refattnum, ord)
join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum
join pg_attribute r on r.attrelid = k.confrelid and r.attnum = u.refattnum
where k.contype = 'f' and k.conparentid = 0
  and (a.atttypid <> r.atttypid or a.atttypmod <> r.atttypmod)
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp_)'
  and ($1::text is null or n.nspname = $1::text)
group by n.nspname, t.relname, k.conname, k.confrelid
order by 1, 2, 3
