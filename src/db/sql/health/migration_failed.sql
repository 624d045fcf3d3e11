-- Migration history tables of the common tools, by name (Sqitch: changes in schema sqitch), with their columns and whether this role may read them; model::migrations tells the tools apart. Params: $1 = schema (NULL: every user schema).
select n.nspname as schema_name, c.relname as table_name, null::text as object_name,
       array_agg(a.attname::text order by a.attnum) as columns,
       has_table_privilege(c.oid, 'select') as readable
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where c.relkind in ('r', 'p')
  and (c.relname in ('alembic_version', 'flyway_schema_history', '_prisma_migrations',
                     'schema_migrations', 'django_migrations', 'knex_migrations', 'goose_db_version')
       or (n.nspname = 'sqitch' and c.relname = 'changes'))
  and ($1::text is null or n.nspname = $1::text)
group by n.nspname, c.relname, c.oid
order by 1, 2
