-- The cluster's databases for the tree (not templates): name, whether it is the one connected to, whether this role may connect to it (datallowconn and the CONNECT privilege), comment. Params: none.
select d.datname::text as name,
       (d.datname = current_database()) as current,
       (d.datallowconn and has_database_privilege(d.oid, 'CONNECT')) as can_connect,
       shobj_description(d.oid, 'pg_database') as comment
from pg_database d
where not d.datistemplate
order by d.datname
