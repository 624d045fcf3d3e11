-- An aggregate's CREATE AGGREGATE facts (function and type names as the session's search_path writes them): arguments (with ORDER BY for ordered-set ones), kind (n normal, o ordered-set, h hypothetical), state and final functions with their options, combine/serial/deserial functions, initial conditions, the moving-aggregate variants, sort operator, parallel safety. Params: $1 = oid of the aggregate (pg_proc).
select pg_get_function_arguments(p.oid) as arguments,
       a.aggkind::text as agg_kind,
       a.aggtransfn::regproc::text as sfunc,
       format_type(a.aggtranstype, null) as stype,
       a.aggtransspace as sspace,
       case when a.aggfinalfn <> 0 then a.aggfinalfn::regproc::text end as finalfunc,
       a.aggfinalextra as finalfunc_extra,
       a.aggfinalmodify::text as finalfunc_modify,
       case when a.aggcombinefn <> 0 then a.aggcombinefn::regproc::text end as combinefunc,
       case when a.aggserialfn <> 0 then a.aggserialfn::regproc::text end as serialfunc,
       case when a.aggdeserialfn <> 0 then a.aggdeserialfn::regproc::text end as deserialfunc,
       a.agginitval as initcond,
       case when a.aggmtransfn <> 0 then a.aggmtransfn::regproc::text end as msfunc,
       case when a.aggminvtransfn <> 0 then a.aggminvtransfn::regproc::text end as minvfunc,
       case when a.aggmtranstype <> 0 then format_type(a.aggmtranstype, null) end as mstype,
       a.aggmtransspace as msspace,
       case when a.aggmfinalfn <> 0 then a.aggmfinalfn::regproc::text end as mfinalfunc,
       a.aggmfinalextra as mfinalfunc_extra,
       a.aggmfinalmodify::text as mfinalfunc_modify,
       a.aggminitval as minitcond,
       (select 'OPERATOR(' || quote_ident(n.nspname) || '.' || o.oprname || ')'
        from pg_operator o join pg_namespace n on n.oid = o.oprnamespace
        where o.oid = a.aggsortop) as sortop,
       p.proparallel::text as parallel
from pg_aggregate a
join pg_proc p on p.oid = a.aggfnoid
where a.aggfnoid = $1
