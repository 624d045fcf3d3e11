-- The ten best-selling products of the last 30 days per region, the kind of report a dashboard runs. Params: none
SELECT s.region, p.sku, p.name, sum(s.quantity) AS units, sum(s.amount) AS revenue
FROM shop.sales AS s
JOIN shop.products AS p ON p.id = s.product_id
WHERE s.sold_at > now() - interval '30 days'
GROUP BY s.region, p.id
ORDER BY revenue DESC
LIMIT 10
