-- The replication slot or prepared transaction holding the xmin horizon back the most, with its age in transactions (backends are judged from the sessions query). Params: none.
select kind, name, age from (
    select 'replication slot' as kind, slot_name::text as name,
           greatest(age(xmin), age(catalog_xmin))::int8 as age
    from pg_replication_slots where xmin is not null or catalog_xmin is not null
    union all
    select 'prepared transaction', gid, age(transaction)::int8 from pg_prepared_xacts
) h
order by age desc nulls last
limit 1
