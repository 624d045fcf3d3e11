-- A sequence for its DDL: names, data type, start, increment, bounds, cache, cycle, persistence, comment, the column owning it (schema, table, column) and whether it is that column's identity sequence.  Params: $1 = oid of the sequence.
select n.nspname::text as schema,
       c.relname::text as name,
       format_type(s.seqtypid, null) as data_type,
       s.seqstart as start,
       s.seqincrement as increment,
       s.seqmin as min,
       s.seqmax as max,
       s.seqcache as cache,
       s.seqcycle as cycle,
       c.relpersistence::text as persistence,
       obj_description(c.oid, 'pg_class') as comment,
       tn.nspname::text as owner_schema,
       tc.relname::text as owner_table,
       ta.attname::text as owner_column,
       coalesce(d.deptype = 'i', false) as identity
from pg_sequence s
join pg_class c on c.oid = s.seqrelid
join pg_namespace n on n.oid = c.relnamespace
left join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = c.oid
                     and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
left join pg_class tc on tc.oid = d.refobjid
left join pg_namespace tn on tn.oid = tc.relnamespace
left join pg_attribute ta on ta.attrelid = d.refobjid and ta.attnum = d.refobjsubid
where s.seqrelid = $1
