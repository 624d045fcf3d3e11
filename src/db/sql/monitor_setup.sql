-- Session settings that keep the monitor connection light on the server: no JIT for catalog queries, bounded statement and lock waits. Params: none (values are substituted by db::monitor as validated integers).
set jit = off;
set statement_timeout = '{statement_timeout_ms}ms';
set lock_timeout = '{lock_timeout_ms}ms';
set idle_in_transaction_session_timeout = '60s'
