-- Every schema with the relations the sidebar lists (tables, partitioned tables, views, materialized views, foreign tables, sequences), ordered by schema then name; partitions carry their parent's oid and their bound; schemas without relations come as one row with NULL relation columns. Params: none.
select n.oid as schema_oid,
       n.nspname::text as schema_name,
       (n.nspname in ('pg_catalog', 'information_schema')) as system,
       c.oid as rel_oid,
       c.relname::text as rel_name,
       c.relkind::text as relkind,
       coalesce(c.relispartition, false) as is_partition,
       case when c.relispartition
            then (select i.inhparent from pg_inherits i where i.inhrelid = c.oid limit 1) end as parent_oid,
       case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end as partition_bound,
       greatest(coalesce(c.reltuples, 0), 0)::float8 as estimated_rows,
       -- privilege checks cost little and let the tree mark unreadable objects instead of failing later
       case when c.oid is null then true
            when c.relkind = 'S' then has_sequence_privilege(c.oid, 'SELECT')
            else has_table_privilege(c.oid, 'SELECT') end as readable
from pg_namespace n
left join pg_class c
       on c.relnamespace = n.oid
      and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
where n.nspname !~ '^pg_toast'
  and n.nspname !~ '^pg_temp_'
order by n.nspname, c.relname
