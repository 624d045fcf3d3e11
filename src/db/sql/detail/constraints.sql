-- Constraints on a table and foreign keys pointing at it, for the detail view: direction (own or incoming), kind (p, u, x, c, f), name, the table on the other side (quoted, qualified; NULL for own non-FK), definition, validated. Params: $1 = oid of the table.
select case when k.conrelid = $1 then 'own' else 'incoming' end as direction,
       k.contype::text as kind,
       k.conname::text as name,
       case when k.conrelid = $1 and k.contype = 'f' then k.confrelid::regclass::text
            when k.conrelid <> $1 then k.conrelid::regclass::text end as other_table,
       pg_get_constraintdef(k.oid) as definition,
       k.convalidated as validated
from pg_constraint k
where (k.conrelid = $1 and k.contype in ('p', 'u', 'x', 'c', 'f'))
   or (k.confrelid = $1 and k.contype = 'f' and k.conparentid = 0)
order by 1 desc, case k.contype when 'p' then 0 when 'u' then 1 when 'x' then 2 when 'f' then 3 else 4 end, k.conname
