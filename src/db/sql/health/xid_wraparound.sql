-- Transaction id and multixact ages: every database of the cluster, and the oldest tables of this one (TOAST included). Params: $1 = schema (NULL: every user schema).
(select ''::text as schema_name, null::text as table_name, d.datname::text as object_name,
        'database'::text as kind,
        age(d.datfrozenxid)::int8 as xid_age, mxid_age(d.datminmxid)::int8 as mxid_age,
        current_setting('autovacuum_freeze_max_age')::int8 as freeze_max_age
 from pg_database d
 where d.datallowconn)
union all
(select n.nspname, c.relname, null, 'table',
        greatest(age(c.relfrozenxid), age(t.relfrozenxid))::int8,
        greatest(mxid_age(c.relminmxid), mxid_age(t.relminmxid))::int8,
        current_setting('autovacuum_freeze_max_age')::int8
 from pg_class c
 join pg_namespace n on n.oid = c.relnamespace
 left join pg_class t on t.oid = c.reltoastrelid
 where c.relkind in ('r', 'm')
   and ($1::text is null or n.nspname = $1::text)
   and n.nspname !~ '^pg_(toast|temp_)'
 order by 5 desc
 limit 100)
