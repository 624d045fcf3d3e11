-- Sequences the role may read, with their range, last value and the type of the column they feed (which may be smaller). Params: $1 = schema (NULL: every user schema).
select n.nspname as schema_name, tc.relname as table_name, c.relname as object_name,
       case when has_sequence_privilege(c.oid, 'SELECT,USAGE')
            then pg_sequence_last_value(c.oid) end as last_value,
       s.seqmin as min_value, s.seqmax as max_value, s.seqincrement as increment,
       s.seqcycle as cycle,
       format_type(s.seqtypid, null) as sequence_type,
       a.attname::text as column_name,
       format_type(a.atttypid, null) as column_type
from pg_sequence s
join pg_class c on c.oid = s.seqrelid
join pg_namespace n on n.oid = c.relnamespace
left join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = c.oid
     and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0 and d.deptype in ('a', 'i')
left join pg_class tc on tc.oid = d.refobjid
left join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
where n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname !~ '^pg_(toast|temp_)'
  and ($1::text is null or n.nspname = $1::text)
order by 1, 3
