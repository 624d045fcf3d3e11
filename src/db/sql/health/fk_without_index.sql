-- Foreign keys whose columns are not the leading columns (in any order) of a valid, non-partial index of the referencing table. Params: $1 = schema (NULL: every user schema).
select n.nspname as schema_name, t.relname as table_name, k.conname as object_name,
       array(select a.attname::text
             from unnest(k.conkey) with ordinality u(attnum, ord)
             join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum
             order by u.ord) as columns,
       t.relkind = 'p' as partitioned,
       k.confrelid::regclass::text as referenced_table,
       greatest(t.reltuples, 0)::int8 as estimated_rows
from pg_constraint k
join pg_class t on t.oid = k.conrelid
join pg_namespace n on n.oid = t.relnamespace
where k.contype = 'f' and k.conparentid = 0
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp_)'
  and ($1::text is null or n.nspname = $1::text)
  and not exists (
    select 1 from pg_index i
    where i.indrelid = k.conrelid and i.indpred is null and i.indisvalid
      and (i.indkey::int2[])[0:cardinality(k.conkey) - 1] @> k.conkey
      and (i.indkey::int2[])[0:cardinality(k.conkey) - 1] <@ k.conkey)
order by 1, 2, 3
