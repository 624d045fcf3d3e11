-- Lock the settings row of user 1 (the demo-idle session then stays idle in transaction holding it).
SELECT prefs FROM public.settings WHERE user_id = 1 FOR UPDATE
