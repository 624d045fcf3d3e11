-- One application log line, written now. Params: $1 = level, $2 = source, $3 = message (text), $4 = duration in ms (int)
INSERT INTO public.logs (created_at, level, source, message, context)
VALUES (now(), $1, $2, $3,
        jsonb_build_object('request_id', substr(md5(random()::text), 1, 16),
                           'duration_ms', $4::int,
                           'user_id', 1 + floor(random() * 20000)::int))
