//! Plan viewer figures: parse + analyse + advise a 5,000-node plan (text and JSON); the target
//! is ≤ 50 ms. Run: `cargo bench --bench plan`.

use std::time::Instant;

use pgdeck::model::plan;

/// A text plan of `n` nodes: an Append of Nested Loops over filtered Seq Scans and Index Scans.
fn big_text_plan(n: usize) -> String {
    let mut s = String::from(
        "Append  (cost=0.00..99999.00 rows=100000 width=8) (actual time=0.010..900.000 rows=100000 loops=1)\n",
    );
    let mut made = 1;
    let mut i = 0;
    while made + 3 <= n {
        s.push_str(&format!("  ->  Nested Loop  (cost=0.00..20.00 rows=10 width=8) (actual time=0.010..0.500 rows=20 loops=1)\n        Buffers: shared hit=30 read=2\n        ->  Seq Scan on t{i} a  (cost=0.00..10.00 rows=1 width=4) (actual time=0.005..0.200 rows=20 loops=1)\n              Filter: (status = 'x'::text)\n              Rows Removed by Filter: 5000\n              Buffers: shared hit=20 read=2\n        ->  Index Scan using u{i}_pkey on u{i} b  (cost=0.29..1.00 rows=1 width=4) (actual time=0.001..0.010 rows=1 loops=20)\n              Index Cond: (id = a.uid)\n              Buffers: shared hit=10\n"));
        made += 3;
        i += 1;
    }
    s.push_str("Planning Time: 1.000 ms\nExecution Time: 901.000 ms\n");
    s
}

/// CPU time of this thread, in ms: on a shared machine wall time mostly measures the neighbours.
fn cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6
}

/// Best wall time and best CPU time of `runs` runs, ms.
fn time<F: FnMut()>(runs: usize, mut f: F) -> (f64, f64) {
    let (mut wall, mut cpu) = (f64::MAX, f64::MAX);
    for _ in 0..runs {
        let t = Instant::now();
        let c = cpu_ms();
        f();
        cpu = cpu.min(cpu_ms() - c);
        wall = wall.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    (wall, cpu)
}

/// A deep text plan: `n` nested loops one inside the other, each with an InitPlan, over a Seq Scan
/// (quadratic work on depth or on InitPlans shows here).
fn deep_text_plan(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let pad = " ".repeat(i * 6);
        let arrow = if i == 0 { "" } else { "->  " };
        s.push_str(&format!(
            "{pad}{arrow}Nested Loop  (cost=0.00..{}.00 rows=1 width=4) (actual time=0.010..{:.3} rows=1 loops=1)\n",
            3 * n - i,
            1000.0 - i as f64 * 0.1
        ));
        s.push_str(&format!("{pad}      Join Filter: (x.a = $%i)\n").replace("%i", &i.to_string()));
        s.push_str(&format!(
            "{pad}      InitPlan {} (returns ${i})\n{pad}        ->  Result  (cost=0.00..0.01 rows=1 width=4) (actual time=0.001..0.001 rows=1 loops=1)\n",
            i + 1
        ));
    }
    s.push_str(&format!(
        "{}->  Seq Scan on t x  (cost=0.00..1.00 rows=1 width=4) (actual time=0.01..0.50 rows=1 loops=1)\n",
        " ".repeat(n * 6)
    ));
    s.push_str("Planning Time: 1.000 ms\nExecution Time: 1000.000 ms\n");
    s
}

fn main() {
    let text = big_text_plan(5000);
    let (p, _) = plan::parse_and_analyse(&text).expect("the generated plan parses");
    let nodes = p.nodes.len();
    let json = serde_json::to_string(&serde_json::Value::Array(vec![p.to_json()])).expect("json");
    let deep = deep_text_plan(500);
    let (d, _) = plan::parse_and_analyse(&deep).expect("the deep plan parses");
    let deep_nodes = d.nodes.len();
    let runs = 20;
    let (t_text, c_text) = time(runs, || {
        let _ = plan::parse_and_analyse(&text);
    });
    let (t_json, c_json) = time(runs, || {
        let _ = plan::parse_and_analyse(&json);
    });
    let (t_deep, c_deep) = time(runs, || {
        let _ = plan::parse_and_analyse(&deep);
    });
    println!(
        "plan: {nodes} nodes, text {} kB, json {} kB; deep plan {deep_nodes} nodes, {} kB",
        text.len() / 1024,
        json.len() / 1024,
        deep.len() / 1024
    );
    println!("parse + analyse + advise (best of {runs}; target ≤ 50 ms), wall / thread CPU:");
    println!("  text: {t_text:.1} ms / {c_text:.1} ms");
    println!("  json: {t_json:.1} ms / {c_json:.1} ms");
    println!("  deep text (InitPlans at every level): {t_deep:.1} ms / {c_deep:.1} ms");
}
