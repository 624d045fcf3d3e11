-- The newest published posts with a tag. Params: $1 = tag id (integer)
SELECT p.id, p.title, u.username AS author, p.published_at
FROM post_tags AS pt
JOIN posts AS p ON p.id = pt.post_id
JOIN users AS u ON u.id = p.user_id
WHERE pt.tag_id = $1 AND p.status = 'published'
ORDER BY p.published_at DESC
LIMIT 20
