-- The columns of a relation for its DDL, in order: name, type with modifiers, NOT NULL, default, identity, generated, collation (when not the type's), whether defined locally, comment, statistics target, storage (and the type's), compression, options, foreign-data options, column privileges for roles other than the owner (JSON [{grantee, privilege, grantable}]), owned sequence, the column's NOT NULL constraint (PostgreSQL 18 names them in pg_constraint; NULL before: name, local, NO INHERIT, validated, comment, and for a partition the name of the parent's NOT NULL constraint on the same column). Params: $1 = oid of the relation.
select a.attname::text as name,
       format_type(a.atttypid, a.atttypmod) as type,
       a.attnotnull as not_null,
       case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end as default_expr,
       case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end as generated_expr,
       a.attidentity::text as identity,
       case when a.attcollation <> t.typcollation and a.attcollation <> 0
            then quote_ident(cn.nspname) || '.' || quote_ident(co.collname) end as collation,
       a.attislocal as local,
       col_description(a.attrelid, a.attnum) as comment,
       a.attstattarget::int4 as stat_target,
       a.attstorage::text as storage,
       t.typstorage::text as type_storage,
       a.attcompression::text as compression,
       coalesce(a.attoptions, '{}')::text[] as options,
       coalesce(a.attfdwoptions, '{}')::text[] as fdw_options,
       coalesce((select json_agg(json_build_object(
                            'grantee', case when x.grantee = 0 then null else pg_get_userbyid(x.grantee)::text end,
                            'privilege', x.privilege_type, 'grantable', x.is_grantable)
                          order by x.grantee, x.privilege_type)
                 from aclexplode(a.attacl) x
                 where x.grantee <> c.relowner), '[]')::text as grants,
       (select dep.objid from pg_depend dep
        join pg_class seq on seq.oid = dep.objid and seq.relkind = 'S'
        where dep.classid = 'pg_class'::regclass and dep.refclassid = 'pg_class'::regclass
          and dep.refobjid = a.attrelid and dep.refobjsubid = a.attnum
          and dep.deptype in ('a', 'i')
        limit 1) as sequence_oid,
       nn.conname::text as nn_name,
       nn.conislocal as nn_local,
       nn.connoinherit as nn_no_inherit,
       nn.convalidated as nn_validated,
       obj_description(nn.oid, 'pg_constraint') as nn_comment,
       (select pn.conname::text
        from pg_inherits i
        join pg_attribute pa on pa.attrelid = i.inhparent and pa.attname = a.attname
        join pg_constraint pn on pn.conrelid = i.inhparent and pn.contype = 'n' and pn.conkey[1] = pa.attnum
        where i.inhrelid = a.attrelid and c.relispartition
        limit 1) as nn_parent_name
from pg_attribute a
join pg_type t on t.oid = a.atttypid
join pg_class c on c.oid = a.attrelid
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
left join pg_collation co on co.oid = a.attcollation
left join pg_namespace cn on cn.oid = co.collnamespace
left join pg_constraint nn on nn.conrelid = a.attrelid and nn.contype = 'n' and nn.conkey[1] = a.attnum
where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
order by a.attnum
