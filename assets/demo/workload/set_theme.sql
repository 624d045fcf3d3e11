-- Change a user's theme; run by two sessions on the same row to make one wait for the other. Params: $1 = user id (bigint), $2 = theme (text)
UPDATE settings
SET prefs = jsonb_set(prefs, '{theme}', to_jsonb($2::text)), updated_at = now()
WHERE user_id = $1
