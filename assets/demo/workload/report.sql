-- The heavier query readers run now and then: top authors of the last 90 days by views and comments.
SELECT u.username, count(DISTINCT p.id) AS posts, sum(p.view_count) AS views, count(c.id) AS comments
FROM public.posts p
JOIN public.users u ON u.id = p.user_id
LEFT JOIN public.comments c ON c.post_id = p.id
WHERE p.status = 'published' AND p.published_at > now() - interval '90 days'
GROUP BY u.username
ORDER BY views DESC
LIMIT 10
