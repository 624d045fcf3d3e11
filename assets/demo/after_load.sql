-- Runs after data.sql, in a batch of its own so the load has committed and been analysed: the
-- activity a live database would have seen since its last vacuum.

-- MISTAKE (see shop.inventory in schema.sql): stock updates on a table whose autovacuum is off
-- leave about 22,000 dead tuples next to 16,000 live ones.
UPDATE shop.inventory SET quantity = quantity + 5, updated_at = now() WHERE warehouse <> 'reno';
UPDATE shop.inventory SET quantity = greatest(quantity - 3, 0), updated_at = now()
WHERE product_id % 2 = 0;

-- The load's own statements would crowd the top of pg_stat_statements; start it clean.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_stat_statements') THEN
        PERFORM pg_stat_statements_reset();
    END IF;
END
$$;
