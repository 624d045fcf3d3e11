-- Every partition below a partitioned table, parents before children, each level by name: oid. Params: $1 = oid of the partitioned table.
with recursive tree(oid, level, path) as (
    select i.inhrelid, 1, array[c.relname::text]
    from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = $1
  union all
    select i.inhrelid, t.level + 1, t.path || c.relname::text
    from tree t
    join pg_inherits i on i.inhparent = t.oid
    join pg_class c on c.oid = i.inhrelid
)
select oid from tree order by path
