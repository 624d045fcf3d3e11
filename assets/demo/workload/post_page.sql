-- A post page: the post, its author, its tags and how many comments it has. Params: $1 = post id (bigint)
SELECT p.id,
       p.title,
       u.display_name AS author,
       p.published_at,
       p.view_count,
       (SELECT string_agg(t.name, ', ' ORDER BY t.name)
        FROM post_tags AS pt
        JOIN tags AS t ON t.id = pt.tag_id
        WHERE pt.post_id = p.id) AS tags,
       (SELECT count(*) FROM comments AS c WHERE c.post_id = p.id AND NOT c.is_spam) AS comments
FROM posts AS p
JOIN users AS u ON u.id = p.user_id
WHERE p.id = $1
