-- Open a pending order; returns its id (bigint). Params: $1 = user id (bigint)
INSERT INTO shop.orders (user_id, status) VALUES ($1, 'pending') RETURNING id
