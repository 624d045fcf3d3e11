-- Every server parameter this role can see, as pg_settings shows it (sourcefile and sourceline are NULL without superuser or pg_read_all_settings; superuser-only parameters are left out). Params: none (server-wide).
select name::text,
       setting::text,
       unit::text,
       vartype::text,
       context::text,
       source::text,
       sourcefile::text,
       sourceline::int4,
       boot_val::text,
       reset_val::text,
       pending_restart,
       coalesce(short_desc, '')::text as short_desc,
       coalesce(category, '')::text as category
from pg_catalog.pg_settings
order by lower(name)
