-- The constraints of a relation for its DDL (not NOT NULL, not constraint triggers): name, type, definition, whether local, whether cloned from a parent partitioned table, comment; primary keys, unique and exclusion constraints first, foreign keys last. Params: $1 = oid of the relation.
select c.conname::text as name,
       c.contype::text as kind,
       pg_get_constraintdef(c.oid) as definition,
       c.conislocal as local,
       (c.conparentid <> 0) as from_parent,
       obj_description(c.oid, 'pg_constraint') as comment
from pg_constraint c
where c.conrelid = $1 and c.contype in ('p', 'u', 'x', 'c', 'f')
order by case c.contype when 'p' then 0 when 'u' then 1 when 'x' then 2 when 'c' then 3 else 4 end,
         c.conname
