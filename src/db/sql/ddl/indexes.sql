-- The indexes of a relation for its DDL: name, definition (pg_get_indexdef), whether a constraint owns it, the parent index it is attached to (schema, name), clustered, replica identity, comment. Params: $1 = oid of the relation.
select ic.relname::text as name,
       pg_get_indexdef(i.indexrelid) as definition,
       exists (select 1 from pg_constraint k
               where k.conindid = i.indexrelid and k.conrelid = i.indrelid
                 and k.contype in ('p', 'u', 'x')) as constraint_index,
       pn.nspname::text as parent_schema,
       pc.relname::text as parent_name,
       i.indisclustered as clustered,
       i.indisreplident as replica_identity,
       obj_description(i.indexrelid, 'pg_class') as comment
from pg_index i
join pg_class ic on ic.oid = i.indexrelid
left join pg_inherits inh on inh.inhrelid = i.indexrelid
left join pg_class pc on pc.oid = inh.inhparent
left join pg_namespace pn on pn.oid = pc.relnamespace
where i.indrelid = $1
order by ic.relname
