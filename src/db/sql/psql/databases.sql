-- Databases as psql's \l lists them: name, owner, encoding, collation, ctype, privileges. Params: $1 = name regex or NULL.
select d.datname::text as "Name",
       pg_get_userbyid(d.datdba)::text as "Owner",
       pg_encoding_to_char(d.encoding)::text as "Encoding",
       d.datcollate::text as "Collate",
       d.datctype::text as "Ctype",
       array_to_string(d.datacl, E'\n') as "Access privileges"
from pg_database d
where ($1::text is null or d.datname ~ $1)
order by 1
