-- The table an index belongs to and the index's name. Params: $1 = oid of the index.
select i.indrelid as table_oid, c.relname::text as name
from pg_index i
join pg_class c on c.oid = i.indexrelid
where i.indexrelid = $1
