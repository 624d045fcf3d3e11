-- One relation's own facts for its DDL: names, kind, persistence, storage parameters (heap and TOAST), access method, tablespace, partition key and bound, parent, RLS flags, replica identity, view definition, comment, owner (and whether it is the current user), foreign server and options, parents of a (non-partition) inheritance child (quoted, qualified, in order), the composite type of a typed table (CREATE TABLE ... OF), ACL entries for other roles (JSON array of {grantee, privilege, grantable}; grantee null = PUBLIC). Params: $1 = oid of the relation.
select n.nspname::text as schema,
       c.relname::text as name,
       c.relkind::text as relkind,
       c.relpersistence::text as persistence,
       coalesce(c.reloptions, '{}')::text[] as options,
       coalesce(tc.reloptions, '{}')::text[] as toast_options,
       case when c.relkind in ('r', 'm') and am.amname <> 'heap' then am.amname::text
            when c.relkind = 'p' and am.amname is not null then am.amname::text end as access_method,
       ts.spcname::text as tablespace,
       case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partition_key,
       case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end as partition_bound,
       pn.nspname::text as parent_schema,
       pc.relname::text as parent_name,
       c.relrowsecurity as rls,
       c.relforcerowsecurity as rls_forced,
       c.relreplident::text as replica_identity,
       case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end as view_definition,
       c.relispopulated as populated,
       obj_description(c.oid, 'pg_class') as comment,
       pg_get_userbyid(c.relowner)::text as owner,
       (pg_get_userbyid(c.relowner) = current_user) as owned_by_me,
       fs.srvname::text as foreign_server,
       coalesce((select array_agg(quote_ident(ipn.nspname) || '.' || quote_ident(ipc.relname) order by ih.inhseqno)
                 from pg_inherits ih
                 join pg_class ipc on ipc.oid = ih.inhparent
                 join pg_namespace ipn on ipn.oid = ipc.relnamespace
                 where ih.inhrelid = c.oid and not c.relispartition), '{}')::text[] as inherits,
       coalesce(ft.ftoptions, '{}')::text[] as foreign_options,
       case when c.reloftype <> 0 then format_type(c.reloftype, null) end as of_type,
       coalesce((select json_agg(json_build_object(
                                    'grantee', case when a.grantee = 0 then null else pg_get_userbyid(a.grantee)::text end,
                                    'privilege', a.privilege_type, 'grantable', a.is_grantable)
                                  order by a.grantee, a.privilege_type)
                 from aclexplode(c.relacl) a
                 where a.grantee <> c.relowner), '[]')::text as grants
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
left join pg_class tc on tc.oid = c.reltoastrelid
left join pg_am am on am.oid = c.relam
left join pg_tablespace ts on ts.oid = c.reltablespace
left join pg_foreign_table ft on ft.ftrelid = c.oid
left join pg_foreign_server fs on fs.oid = ft.ftserver
left join pg_inherits i on c.relispartition and i.inhrelid = c.oid
left join pg_class pc on pc.oid = i.inhparent
left join pg_namespace pn on pn.oid = pc.relnamespace
where c.oid = $1
