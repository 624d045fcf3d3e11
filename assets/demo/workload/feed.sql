-- The newest published posts under one tag, with author and comment count. Params: $1 = tag id (int)
SELECT p.id, p.title, u.display_name, p.published_at, count(c.id) AS comments
FROM public.post_tags pt
JOIN public.posts p ON p.id = pt.post_id
JOIN public.users u ON u.id = p.user_id
LEFT JOIN public.comments c ON c.post_id = p.id AND NOT c.is_spam
WHERE pt.tag_id = $1 AND p.status = 'published'
GROUP BY p.id, u.display_name
ORDER BY p.published_at DESC
LIMIT 20
