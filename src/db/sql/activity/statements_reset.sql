-- Reset pg_stat_statements. Params: none. {schema} is the extension's schema (quoted).
select {schema}.pg_stat_statements_reset()
