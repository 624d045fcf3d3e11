-- Rows for the pgdeck demo database (about 600,000), generated server-side. Runs right after
-- schema.sql in the same transaction (with wal_level=minimal the new tables then skip the WAL).
-- setseed() makes random() repeatable; timestamps are spread over the year before now(). Random
-- attributes are computed in a subquery fenced with OFFSET 0, so a value used twice (a first name
-- in both username and display_name) is drawn once per row.

SELECT setseed(0.4242);

-- A random element of an array; VOLATILE, so it is drawn again for every row.
CREATE FUNCTION pg_temp.pick(choices text[]) RETURNS text
    LANGUAGE sql VOLATILE
    AS $$ SELECT choices[1 + floor(random() * cardinality(choices))::int] $$;

-- n (1..24) consecutive sentences of blog prose from sentence start (1..24). A slice of a
-- constant array: an aggregate subquery per row made the load twice as slow.
CREATE FUNCTION pg_temp.prose(start integer, n integer) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT array_to_string((ARRAY[
        'The first version was simple and it worked well enough for a while.',
        'Then the table grew to a few million rows and every page took seconds.',
        'EXPLAIN ANALYZE showed a sequential scan where we expected an index scan.',
        'The fix turned out to be a single missing index on a foreign key.',
        'Measure before you optimise, and measure again afterwards.',
        'Most of the time was spent waiting on locks, not doing work.',
        'We moved the slow part into a background job and the page became instant.',
        'Autovacuum was not keeping up, so the table kept bloating.',
        'A partial index covered the hot rows at a tenth of the size.',
        'The connection pool was too small for the number of workers.',
        'Reading the source code answered questions the documentation did not.',
        'It is tempting to cache everything, but invalidation is the hard part.',
        'Our error budget ran out in the second week of the quarter.',
        'The terminal is still the fastest interface I know.',
        'Small, boring releases beat big exciting ones.',
        'Every dependency is a promise someone else has to keep.',
        'The tests caught the regression before any user did.',
        'Write the migration so that it can run twice without harm.',
        'A good log line answers who, what and how long.',
        'None of this matters until the data outgrows memory.',
        'We rolled the change out to one percent of traffic first.',
        'The second attempt was shorter, clearer and faster.',
        'Keep transactions short; idle ones hold back vacuum.',
        'In the end the simplest design survived every review.',
        -- the same again, so that every start has n sentences after it
        'The first version was simple and it worked well enough for a while.',
        'Then the table grew to a few million rows and every page took seconds.',
        'EXPLAIN ANALYZE showed a sequential scan where we expected an index scan.',
        'The fix turned out to be a single missing index on a foreign key.',
        'Measure before you optimise, and measure again afterwards.',
        'Most of the time was spent waiting on locks, not doing work.',
        'We moved the slow part into a background job and the page became instant.',
        'Autovacuum was not keeping up, so the table kept bloating.',
        'A partial index covered the hot rows at a tenth of the size.',
        'The connection pool was too small for the number of workers.',
        'Reading the source code answered questions the documentation did not.',
        'It is tempting to cache everything, but invalidation is the hard part.',
        'Our error budget ran out in the second week of the quarter.',
        'The terminal is still the fastest interface I know.',
        'Small, boring releases beat big exciting ones.',
        'Every dependency is a promise someone else has to keep.',
        'The tests caught the regression before any user did.',
        'Write the migration so that it can run twice without harm.',
        'A good log line answers who, what and how long.',
        'None of this matters until the data outgrows memory.',
        'We rolled the change out to one percent of traffic first.',
        'The second attempt was shorter, clearer and faster.',
        'Keep transactions short; idle ones hold back vacuum.',
        'In the end the simplest design survived every review.'
    ])[start:start + n - 1], ' ')
    $$;

-- The generated data is consistent by construction: skip the foreign key triggers (one index
-- probe per row and key) while loading. Needs a superuser, which the loader is.
SET session_replication_role = replica;

-------------------------------------------------------------------------------------------------
-- Blog

INSERT INTO users (id, username, email, display_name, created_at, last_login_at, is_active)
SELECT s.id,
       lower(s.first) || '.' || lower(s.last) || s.id,
       lower(s.first) || '.' || lower(s.last) || s.id || '@' || s.domain,
       s.first || ' ' || s.last,
       s.created,
       CASE WHEN random() < 0.9 THEN s.created + random() * (now() - s.created) END,
       random() < 0.96
FROM (
    SELECT g AS id,
           pg_temp.pick('{Ada,Alan,Grace,Linus,Margaret,Dennis,Barbara,Ken,Frances,Edsger,Radia,Bjarne,Sophie,Guido,Hedy,Donald,Katherine,John,Joan,Niklaus,Anita,Tim,Mary,Leslie,Adele,Brian,Shafi,Rob,Lynn,James,Evelyn,Larry,Karen,Andrew,Carol,Yukihiro,Annie,Ward,Jean,Michael,Ida,Bruce,Lena,Tom,Chloe,Omar,Priya,Mateo}') AS first,
           pg_temp.pick('{Lovelace,Turing,Hopper,Torvalds,Hamilton,Ritchie,Liskov,Thompson,Allen,Dijkstra,Perlman,Stroustrup,Wilson,Rossum,Lamarr,Knuth,Johnson,McCarthy,Clarke,Wirth,Borg,Berners-Lee,Shaw,Lamport,Goldberg,Kernighan,Goldwasser,Pike,Conway,Gosling,Boyd,Page,Jones,Tanenbaum,Shaw,Matsumoto,Easley,Cunningham,Sammet,Stonebraker,Rhodes,Momjian,Lane,Moreau,Haddad,Patel,Garcia,Nakamura}') AS last,
           pg_temp.pick('{example.com,mail.example,inbox.test,fastmail.test,corp.example,uni.example}') AS domain,
           now() - random() * interval '365 days' AS created
    FROM generate_series(1, 20000) AS g
    OFFSET 0
) AS s;

INSERT INTO user_profiles (user_id, bio, location, website, birth_date, avatar_url)
SELECT id,
       pg_temp.prose(1 + floor(random() * 24)::int, 1 + floor(random() * 2)::int),
       pg_temp.pick('{Berlin,Lisbon,Toronto,Osaka,Nairobi,Austin,Melbourne,Oslo,Bogotá,Pune,Kraków,Montréal}'),
       CASE WHEN random() < 0.3 THEN 'https://' || username || '.example.com' END,
       date '1960-01-01' + floor(random() * 16000)::int,
       'https://cdn.example.com/avatars/' || md5(username) || '.png'
FROM users
WHERE random() < 0.85;

INSERT INTO settings (user_id, prefs, updated_at)
SELECT id,
       jsonb_build_object(
           'theme', pg_temp.pick('{dark,dark,light,system}'),
           'language', pg_temp.pick('{en,en,en,de,fr,es,pt,ja}'),
           'timezone', pg_temp.pick('{Europe/Berlin,Europe/London,America/New_York,America/Los_Angeles,Asia/Tokyo,Australia/Sydney,UTC}'),
           'notifications', jsonb_build_object(
               'email', random() < 0.7,
               'push', random() < 0.4,
               'digest', pg_temp.pick('{daily,weekly,never}')),
           'editor', jsonb_build_object(
               'font_size', 12 + floor(random() * 6)::int,
               'vim_mode', random() < 0.1)),
       created_at + random() * (now() - created_at)
FROM users;

INSERT INTO user_roles (user_id, role, granted_at)
SELECT id, 'reader', created_at FROM users;
INSERT INTO user_roles (user_id, role, granted_at)
SELECT id, 'author', created_at + random() * interval '30 days' FROM users WHERE random() < 0.2;
INSERT INTO user_roles (user_id, role, granted_at)
SELECT id, 'editor', created_at + random() * interval '60 days' FROM users WHERE random() < 0.02;
INSERT INTO user_roles (user_id, role, granted_at)
SELECT id, 'moderator', created_at + random() * interval '60 days' FROM users WHERE random() < 0.005;
INSERT INTO user_roles (user_id, role, granted_at)
SELECT id, 'admin', created_at FROM users WHERE id <= 3;

INSERT INTO tags (id, name, slug)
SELECT g, t.topic || ' ' || t.kind, slugify(t.topic || ' ' || t.kind)
FROM generate_series(1, 200) AS g
CROSS JOIN LATERAL (
    SELECT (ARRAY['postgres', 'rust', 'python', 'go', 'linux', 'security', 'design', 'career',
                  'testing', 'devops'])[1 + (g - 1) / 20] AS topic,
           (ARRAY['tips', 'basics', 'internals', 'performance', 'tooling', 'news', 'patterns',
                  'debugging', 'migration', 'deep dive', 'opinion', 'tutorial', 'release',
                  'interview', 'history', 'benchmarks', 'pitfalls', 'faq', 'checklist',
                  'case study'])[1 + (g - 1) % 20] AS kind
) AS t;

INSERT INTO posts (id, user_id, title, slug, body, status, view_count, published_at, created_at,
                   updated_at)
SELECT s.id,
       s.user_id,
       s.title,
       slugify(s.title) || '-' || s.id,
       s.body,
       s.status,
       CASE WHEN s.status = 'published' THEN floor(power(random(), 3) * 50000)::int ELSE 0 END,
       CASE WHEN s.status <> 'draft' THEN least(now(), s.created + random() * interval '3 days') END,
       s.created,
       least(now(), s.created + random() * interval '10 days')
FROM (
    SELECT g AS id,
           -- Squaring skews authorship: low ids write most of the posts, as on a real blog.
           1 + floor(power(random(), 2) * 20000)::bigint AS user_id,
           pg_temp.pick('{How to tune,Why you should care about,Ten lessons on,A gentle introduction to,Notes on,What I learned about,Stop worrying about,Getting started with,The hidden cost of,Rethinking}')
               || ' ' ||
           pg_temp.pick('{autovacuum,partitioned tables,Rust lifetimes,async Rust,terminal UIs,index bloat,JSONB,connection pooling,query plans,Kubernetes operators,code review,remote work,sourdough,mechanical keyboards,home networking,property testing,error handling,database migrations,feature flags,observability,TLS certificates,Vim,shell scripts,CSS grid,type systems,caching,rate limiting,event sourcing,window functions,logical replication}') AS title,
           pg_temp.prose(1 + floor(random() * 24)::int, 3 + floor(random() * 8)::int) AS body,
           pg_temp.pick('{published,published,published,published,published,published,published,published,published,published,published,published,published,published,published,published,published,draft,draft,archived}') AS status,
           now() - random() * interval '365 days' AS created
    FROM generate_series(1, 30000) AS g
    OFFSET 0
) AS s;

INSERT INTO post_tags (post_id, tag_id)
SELECT DISTINCT p.id, 1 + floor(random() * 200)::int
FROM posts AS p
CROSS JOIN generate_series(1, 1 + (p.id % 4)::int) AS n;

INSERT INTO comments (id, post_id, user_id, parent_id, body, is_spam, created_at)
SELECT s.id,
       s.post_id,
       s.user_id,
       CASE WHEN s.id > 1 AND random() < 0.2 THEN 1 + floor(random() * (s.id - 1))::bigint END,
       s.body,
       random() < 0.02,
       s.created
FROM (
    SELECT g AS id,
           1 + floor(power(random(), 3) * 30000)::bigint AS post_id,
           1 + floor(random() * 20000)::bigint AS user_id,
           pg_temp.pick(ARRAY[
               'Great write-up, thanks!', 'This saved my afternoon.',
               'I disagree with the second point.', 'Could you share the query plan?',
               'We hit the same issue last year.', 'Which version of PostgreSQL was this?',
               'Bookmarked.', 'The benchmark numbers look off to me.',
               'Nice, but what about replication?', 'Finally someone explains this properly.'])
               || ' ' || pg_temp.prose(1 + floor(random() * 24)::int, 1 + floor(random() * 2)::int) AS body,
           now() - random() * interval '300 days' AS created
    FROM generate_series(1, 100000) AS g
    OFFSET 0
) AS s;

INSERT INTO page_views (post_id, user_id, viewed_at, referrer)
SELECT 1 + floor(power(random(), 3) * 30000)::bigint,
       CASE WHEN random() < 0.6 THEN 1 + floor(random() * 20000)::bigint END,
       now() - random() * interval '30 days',
       pg_temp.pick('{https://news.ycombinator.com/,https://www.reddit.com/r/PostgreSQL/,https://www.google.com/,https://lobste.rs/,https://duckduckgo.com/,https://planet.postgresql.org/}')
FROM generate_series(1, 50000);

INSERT INTO sessions (user_id, created_at, expires_at, ip, user_agent)
SELECT s.user_id,
       s.created,
       s.created + interval '14 days',
       ('10.' || floor(random() * 256)::int || '.' || floor(random() * 256)::int || '.'
           || floor(random() * 256)::int)::inet,
       pg_temp.pick(ARRAY[
           'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
           'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15',
           'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0',
           'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5) Mobile/15E148',
           'curl/8.8.0'])
FROM (
    SELECT 1 + floor(random() * 20000)::bigint AS user_id,
           now() - random() * interval '30 days' AS created
    FROM generate_series(1, 10000)
    OFFSET 0
) AS s;

-------------------------------------------------------------------------------------------------
-- Shop

INSERT INTO shop.products (id, sku, name, category, price, stock, tags, ratings, created_at)
SELECT s.id,
       'SKU-' || lpad(s.id::text, 6, '0'),
       s.adjective || ' ' || (ARRAY[
           ['Mug', 'Teapot', 'Bowl', 'Cutting Board', 'Knife Set'],
           ['Notebook', 'Desk Lamp', 'Pen Set', 'Monitor Stand', 'Chair Cushion'],
           ['Backpack', 'Water Bottle', 'Tent', 'Hammock', 'Rain Jacket'],
           ['Headphones', 'Speaker', 'Turntable', 'Microphone', 'Cable'],
           ['Blanket', 'Candle', 'Vase', 'Pillow', 'Rug'],
           ['Puzzle', 'Board Game', 'Card Deck', 'Dice Set', 'Chess Set']])[s.c][s.i],
       (ARRAY['kitchen', 'office', 'outdoor', 'audio', 'home', 'games'])[s.c],
       round((4.99 + power(random(), 2) * 495)::numeric, 2),
       floor(random() * 500)::int,
       ARRAY(SELECT DISTINCT pg_temp.pick('{new,sale,eco,bestseller,limited,gift,handmade,imported,bundle,clearance}')
             FROM generate_series(1, 1 + s.id % 3)),
       ARRAY(SELECT 1 + floor(random() * 5)::int FROM generate_series(1, s.id % 12)),
       now() - random() * interval '700 days'
FROM (
    SELECT g AS id,
           1 + floor(random() * 6)::int AS c,
           1 + floor(random() * 5)::int AS i,
           pg_temp.pick('{Classic,Compact,Deluxe,Everyday,Handcrafted,Minimal,Rustic,Studio,Travel,Vintage}') AS adjective
    FROM generate_series(1, 2000) AS g
    OFFSET 0
) AS s;

INSERT INTO shop.orders (id, user_id, status, coupon_code, created_at)
SELECT g,
       1 + floor(random() * 20000)::bigint,
       pg_temp.pick('{delivered,delivered,delivered,delivered,delivered,delivered,delivered,delivered,delivered,delivered,shipped,shipped,shipped,paid,paid,pending,cancelled,refunded}'),
       -- 97% NULL: see orders_coupon_code_idx in schema.sql.
       CASE WHEN random() < 0.03 THEN pg_temp.pick('{SPRING10,WELCOME5,VIP20,FREESHIP,BLACKFRIDAY}') END,
       now() - random() * interval '365 days'
FROM generate_series(1, 20000) AS g;

INSERT INTO shop.order_items (order_id, product_id, quantity, unit_price)
SELECT o.id, p.id, 1 + floor(power(random(), 3) * 4)::int, p.price
FROM shop.orders AS o
CROSS JOIN LATERAL (
    SELECT DISTINCT 1 + floor(random() * 2000)::bigint AS product_id
    FROM generate_series(1, 1 + (o.id % 5)::int)
) AS x
JOIN shop.products AS p ON p.id = x.product_id;

INSERT INTO shop.invoices (order_id, issued_at, amount)
SELECT o.id, o.created_at + interval '1 hour', shop.order_total(o.id)
FROM shop.orders AS o
WHERE o.status IN ('paid', 'shipped', 'delivered')
ORDER BY o.id;

INSERT INTO shop.inventory (product_id, warehouse, quantity, updated_at)
SELECT p.id, w.name, floor(random() * 200)::int, now() - random() * interval '90 days'
FROM shop.products AS p
CROSS JOIN unnest('{berlin,dublin,newark,reno,osaka,sydney,sao-paulo,toronto}'::text[]) AS w(name);

INSERT INTO shop.sales (region, product_id, sold_at, quantity, amount)
SELECT s.region, s.product_id, s.sold_at, s.quantity, round(p.price * s.quantity, 2)
FROM (
    SELECT pg_temp.pick('{eu-west,eu-west,eu-central,eu-north,us-east,us-east,us-west,sa-east,ap-south,ap-northeast,au,af-south}') AS region,
           1 + floor(random() * 2000)::bigint AS product_id,
           now() - random() * interval '365 days' AS sold_at,
           1 + floor(power(random(), 2) * 5)::int AS quantity
    FROM generate_series(1, 30000)
    OFFSET 0
) AS s
JOIN shop.products AS p ON p.id = s.product_id;

-------------------------------------------------------------------------------------------------
-- Logs: about 8% of the rows are older than the oldest monthly partition and land in logs_default.

INSERT INTO logs (created_at, level, source, message, context)
SELECT s.created,
       s.level,
       s.source,
       CASE s.level
           WHEN 'error' THEN pg_temp.pick('{upstream timed out,deadlock detected,could not serialize access,payment provider returned 502,disk quota exceeded}')
           WHEN 'warn' THEN pg_temp.pick('{slow query,retrying request,cache miss storm,rate limit close to quota,certificate expires in 14 days}')
           ELSE pg_temp.pick('{request completed,user logged in,order placed,email sent,job finished,cache refreshed,session expired}')
       END,
       jsonb_build_object(
           'request_id', substr(md5(random()::text), 1, 16),
           'duration_ms', floor(power(random(), 4) * 5000)::int,
           'user_id', 1 + floor(random() * 20000)::int)
FROM (
    SELECT now() - random() * interval '365 days' AS created,
           pg_temp.pick('{info,info,info,info,info,info,info,info,info,info,info,info,info,info,warn,warn,warn,warn,error,debug}') AS level,
           pg_temp.pick('{api,worker,auth,billing,mailer,search}') AS source
    FROM generate_series(1, 100000)
    OFFSET 0
) AS s;

-------------------------------------------------------------------------------------------------
-- Identity sequences continue after the explicit ids used above.

SELECT setval(pg_get_serial_sequence('users', 'id'), max(id)) FROM users;
SELECT setval(pg_get_serial_sequence('posts', 'id'), max(id)) FROM posts;
SELECT setval(pg_get_serial_sequence('tags', 'id'), max(id)) FROM tags;
SELECT setval(pg_get_serial_sequence('comments', 'id'), max(id)) FROM comments;
SELECT setval(pg_get_serial_sequence('shop.products', 'id'), max(id)) FROM shop.products;
SELECT setval(pg_get_serial_sequence('shop.orders', 'id'), max(id)) FROM shop.orders;

-- MISTAKE (see shop.invoices in schema.sql): the integer sequence at 95% of 2^31-1.
SELECT setval('shop.invoices_id_seq', 2040109465);

RESET session_replication_role;

REFRESH MATERIALIZED VIEW shop.monthly_revenue;
ANALYZE;
