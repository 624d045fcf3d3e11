-- The newest comments under a post with their authors. Params: $1 = post id (bigint)
SELECT c.id, u.username, c.created_at, left(c.body, 120) AS excerpt
FROM comments AS c
JOIN users AS u ON u.id = c.user_id
WHERE c.post_id = $1 AND NOT c.is_spam
ORDER BY c.created_at DESC
LIMIT 10
