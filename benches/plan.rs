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

fn time<F: FnMut()>(runs: usize, mut f: F) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    best
}

fn main() {
    let text = big_text_plan(5000);
    let (p, _) = plan::parse_and_analyse(&text).expect("the generated plan parses");
    let nodes = p.nodes.len();
    let json = serde_json::to_string(&serde_json::Value::Array(vec![p.to_json()])).expect("json");
    let t_text = time(10, || {
        let _ = plan::parse_and_analyse(&text);
    });
    let t_json = time(10, || {
        let _ = plan::parse_and_analyse(&json);
    });
    println!(
        "plan: {nodes} nodes, text {} kB, json {} kB",
        text.len() / 1024,
        json.len() / 1024
    );
    println!("parse + analyse + advise, text: {t_text:.1} ms (best of 10; target ≤ 50 ms)");
    println!("parse + analyse + advise, json: {t_json:.1} ms (best of 10; target ≤ 50 ms)");
}
