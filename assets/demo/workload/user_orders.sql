-- A user's last orders with their totals. Params: $1 = user id (bigint)
SELECT o.order_number, o.status, o.created_at, sum(i.quantity * i.unit_price) AS total
FROM shop.orders o
JOIN shop.order_items i ON i.order_id = o.id
WHERE o.user_id = $1
GROUP BY o.id
ORDER BY o.created_at DESC
LIMIT 10
