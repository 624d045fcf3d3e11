-- What holds the xmin horizon back the most: a backend, a replication slot or a prepared transaction, with its age in transactions. Params: none.
select kind, name, age from (
    select 'backend' as kind, pid::text as name,
           greatest(age(backend_xmin), age(backend_xid))::int8 as age
    from pg_stat_activity where backend_xmin is not null or backend_xid is not null
    union all
    select 'replication slot', slot_name::text, greatest(age(xmin), age(catalog_xmin))::int8
    from pg_replication_slots where xmin is not null or catalog_xmin is not null
    union all
    select 'prepared transaction', gid, age(transaction)::int8 from pg_prepared_xacts
) h
order by age desc nulls last
limit 1
