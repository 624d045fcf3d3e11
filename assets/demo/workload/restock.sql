-- Change the stock of product SKU-000042, the row demo-locker holds and demo-waiter waits for. Params: $1 = delta (int)
UPDATE shop.products SET stock = stock + $1 WHERE sku = 'SKU-000042'
