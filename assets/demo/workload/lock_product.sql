-- Lock one product row (inside a transaction that then stays open). Params: $1 = product id (bigint)
SELECT id, sku, stock FROM shop.products WHERE id = $1 FOR UPDATE
