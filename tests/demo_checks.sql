-- Checks of the loaded demo database, one row each: (name text, ok boolean, detail text).
-- tests/demo.rs runs it against a fresh load and against a copy from the cache.
WITH
counts AS (
    SELECT (SELECT count(*) FROM users) AS users,
           (SELECT count(*) FROM user_profiles) AS profiles,
           (SELECT count(*) FROM posts) AS posts,
           (SELECT count(*) FROM post_tags) AS post_tags,
           (SELECT count(*) FROM comments) AS comments,
           (SELECT count(*) FROM logs) AS logs,
           (SELECT count(*) FROM shop.orders) AS orders,
           (SELECT count(*) FROM shop.order_items) AS items,
           (SELECT count(*) FROM shop.sales) AS sales
),
live AS (
    SELECT sum(n_live_tup) AS total FROM pg_stat_user_tables
),
idx AS (
    SELECT i.indexrelid::regclass::text AS name, i.indrelid, i.indkey::text AS cols,
           i.indisunique, i.indpred IS NULL AND i.indexprs IS NULL AS plain, am.amname,
           (SELECT conname FROM pg_constraint c WHERE c.conindid = i.indexrelid
              AND c.contype IN ('u', 'p')) AS constraint_name
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_am am ON am.oid = ic.relam
)
SELECT 'users = 20000', users = 20000, users::text FROM counts
UNION ALL SELECT 'profiles 80-90% of users', profiles BETWEEN 16000 AND 18000, profiles::text FROM counts
UNION ALL SELECT 'posts = 30000', posts = 30000, posts::text FROM counts
UNION ALL SELECT 'post_tags 60k-90k', post_tags BETWEEN 60000 AND 90000, post_tags::text FROM counts
UNION ALL SELECT 'comments = 100000', comments = 100000, comments::text FROM counts
UNION ALL SELECT 'logs >= 100000', logs >= 100000, logs::text FROM counts
UNION ALL SELECT 'orders >= 20000', orders >= 20000, orders::text FROM counts
UNION ALL SELECT 'order_items 50k-70k', items BETWEEN 50000 AND 70000, items::text FROM counts
UNION ALL SELECT 'sales 25k-30k', sales BETWEEN 25000 AND 30000, sales::text FROM counts
UNION ALL SELECT 'a few hundred thousand rows', total BETWEEN 400000 AND 800000, total::text FROM live

-- Partitions
UNION ALL
SELECT 'logs: 12 monthly partitions + default',
       count(*) = 13 AND count(*) FILTER (WHERE pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT') = 1,
       string_agg(c.relname, ' ' ORDER BY c.relname)
FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
WHERE h.inhparent = 'public.logs'::regclass
UNION ALL
SELECT 'logs partitions hold rows', bool_and(n > 0), string_agg(n::text, ' ')
FROM (SELECT count(*) AS n FROM logs GROUP BY tableoid) AS p
UNION ALL
SELECT 'sales: list-partitioned by region',
       (SELECT partstrat = 'l' FROM pg_partitioned_table WHERE partrelid = 'shop.sales'::regclass)
       AND count(*) = 4,
       string_agg(c.relname, ' ' ORDER BY c.relname)
FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
WHERE h.inhparent = 'shop.sales'::regclass

-- MISTAKES
UNION ALL
SELECT 'duplicate of a UNIQUE constraint index', count(*) = 1, string_agg(a.name || ' = ' || b.name, ', ')
FROM idx a JOIN idx b ON a.indrelid = b.indrelid AND a.cols = b.cols AND a.name < b.name
WHERE a.plain AND b.plain AND (a.constraint_name IS NOT NULL OR b.constraint_name IS NOT NULL)
  AND a.indrelid = 'public.users'::regclass
UNION ALL
SELECT 'redundant prefix index', count(*) >= 1, string_agg(a.name || ' < ' || b.name, ', ')
FROM idx a JOIN idx b ON a.indrelid = b.indrelid AND a.name <> b.name
WHERE a.plain AND b.plain AND NOT a.indisunique AND a.amname = 'btree' AND b.amname = 'btree'
  AND b.cols LIKE a.cols || ' %' AND a.indrelid = 'public.posts'::regclass
UNION ALL
SELECT 'foreign key without an index', count(*) = 1, string_agg(c.conname, ', ')
FROM pg_constraint c
WHERE c.contype = 'f' AND c.connamespace IN ('public'::regnamespace, 'shop'::regnamespace)
  AND NOT EXISTS (
      SELECT FROM pg_index i
      WHERE i.indrelid = c.conrelid
        AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] = c.conkey)
  -- partitions inherit their parent's constraints; count each key once
  AND c.conparentid = 0
  AND NOT (SELECT relispartition FROM pg_class WHERE oid = c.conrelid)
UNION ALL
SELECT 'comments.user_id is that foreign key', count(*) = 1, string_agg(c.conname, ', ')
FROM pg_constraint c
WHERE c.conrelid = 'public.comments'::regclass AND c.contype = 'f'
  AND c.conkey = ARRAY[(SELECT attnum FROM pg_attribute
                        WHERE attrelid = 'public.comments'::regclass AND attname = 'user_id')]
UNION ALL
SELECT 'table without a primary key', count(*) = 1, string_agg(c.oid::regclass::text, ', ')
FROM pg_class c
WHERE c.relkind = 'r' AND c.relnamespace IN ('public'::regnamespace, 'shop'::regnamespace)
  AND NOT c.relispartition
  AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
UNION ALL
SELECT 'b-tree index on an array column', count(*) = 1, string_agg(i.name, ', ')
FROM idx i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum::text = i.cols
JOIN pg_type t ON t.oid = a.atttypid
WHERE i.amname = 'btree' AND t.typcategory = 'A'
UNION ALL
SELECT 'index mostly on NULLs', coalesce(bool_and(s.null_frac > 0.9), false),
       string_agg(s.attname || ' null_frac=' || s.null_frac, ', ')
FROM pg_stats s
WHERE s.schemaname = 'shop' AND s.tablename = 'orders' AND s.attname = 'coupon_code'
  AND EXISTS (SELECT FROM idx WHERE name = 'shop.orders_coupon_code_idx' AND plain)
UNION ALL
SELECT 'NOT VALID constraint', count(*) = 1, string_agg(conname, ', ')
FROM pg_constraint WHERE NOT convalidated
UNION ALL
SELECT 'integer sequence near exhaustion', count(*) = 1,
       string_agg(sequencename || ' at ' || round(100.0 * last_value / max_value, 1) || '%', ', ')
FROM pg_sequences
WHERE data_type = 'integer'::regtype AND last_value > 0.9 * max_value
UNION ALL
SELECT 'unused index', coalesce(bool_and(idx_scan = 0), false), string_agg(indexrelname, ', ')
FROM pg_stat_user_indexes WHERE indexrelname = 'sessions_user_agent_idx'
UNION ALL
SELECT 'dead tuples with autovacuum off',
       coalesce(bool_and(s.n_dead_tup > s.n_live_tup AND c.reloptions @> '{autovacuum_enabled=false}'), false),
       string_agg(s.n_live_tup || ' live, ' || s.n_dead_tup || ' dead', ', ')
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.schemaname = 'shop' AND s.relname = 'inventory'

-- The other objects the demo promises
UNION ALL
SELECT 'enum role_kind', count(*) = 5, string_agg(enumlabel, ' ' ORDER BY enumsortorder)
FROM pg_enum WHERE enumtypid = 'role_kind'::regtype
UNION ALL
SELECT 'domains with CHECK', count(*) = 2, string_agg(conname, ', ')
FROM pg_constraint WHERE contypid IN ('email_address'::regtype, 'shop.price'::regtype)
UNION ALL
SELECT 'view and populated materialized view',
       to_regclass('public.published_posts') IS NOT NULL
       AND (SELECT relispopulated FROM pg_class WHERE oid = 'shop.monthly_revenue'::regclass)
       AND (SELECT count(*) FROM shop.monthly_revenue) >= 12,
       (SELECT count(*) FROM shop.monthly_revenue)::text
UNION ALL
SELECT 'function, procedure, trigger',
       to_regprocedure('slugify(text)') IS NOT NULL
       AND (SELECT prokind = 'p' FROM pg_proc WHERE oid = to_regprocedure('purge_expired_sessions(interval)'))
       AND EXISTS (SELECT FROM pg_trigger WHERE tgname = 'posts_touch_updated_at'),
       slugify('Hello, World!')
UNION ALL
SELECT 'uuid keys', count(*) = 10000 AND count(DISTINCT id) = 10000, min(id::text)
FROM sessions
UNION ALL
SELECT 'comments on objects', obj_description('public.users'::regclass, 'pg_class') IS NOT NULL
       AND col_description('public.posts'::regclass, 7) IS NOT NULL,
       obj_description('public.users'::regclass, 'pg_class')
UNION ALL
SELECT 'realistic values', bool_and(email::text ~ '@' AND display_name ~ ' '), min(email::text)
FROM users WHERE id <= 10
UNION ALL
SELECT 'json settings', count(*) = 20000 AND bool_and(prefs ? 'theme'), min(prefs->>'theme')
FROM settings
UNION ALL
SELECT 'timestamps over the last year',
       min(created_at) > now() - interval '370 days' AND max(created_at) <= now(),
       min(created_at)::date || ' .. ' || max(created_at)::date
FROM posts
