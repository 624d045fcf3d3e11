-- Count a page view of a post. Params: $1 = post id (bigint)
UPDATE posts SET view_count = view_count + 1 WHERE id = $1
