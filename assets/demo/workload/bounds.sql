-- The id ranges the workload draws from: max user id, post id, product id (bigint), tag id (int).
SELECT (SELECT max(id) FROM public.users) AS max_user,
       (SELECT max(id) FROM public.posts) AS max_post,
       (SELECT max(id) FROM shop.products) AS max_product,
       (SELECT max(id) FROM public.tags) AS max_tag
