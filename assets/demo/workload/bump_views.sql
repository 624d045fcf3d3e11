-- Count one page view of a post. Params: $1 = post id (bigint)
UPDATE public.posts SET view_count = view_count + 1 WHERE id = $1
