-- Tables and partitioned tables (not partitions) without a primary key. Params: $1 = schema (NULL: every user schema).
select n.nspname as schema_name, c.relname as table_name, null::text as object_name,
       greatest(c.reltuples, 0)::int8 as estimated_rows,
       case c.relreplident when 'd' then 'default' when 'n' then 'nothing'
            when 'f' then 'full' when 'i' then 'index' end as replica_identity,
       exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisunique
               and i.indisvalid and i.indpred is null) as has_unique_index
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and not c.relispartition
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp_)'
  and ($1::text is null or n.nspname = $1::text)
  and not exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'p')
  and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass
                  and d.objid = c.oid and d.deptype = 'e')
order by 1, 2
