-- Add a product to an order at its current price. Params: $1 = order id, $2 = product id (bigint), $3 = quantity (int)
INSERT INTO shop.order_items (order_id, product_id, quantity, unit_price)
SELECT $1, p.id, $3, p.price FROM shop.products p WHERE p.id = $2
