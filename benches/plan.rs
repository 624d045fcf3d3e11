//! Plan viewer figures: parse + analyse + advise a 5,000-node plan (text and JSON); the target
//! is ≤ 50 ms. Then the plan pane on that plan at 140×40: one frame, and a frame per key while
//! scrolling. Run: `cargo bench --bench plan`.
//!
//! Recorded on the shared 2-core machine, best of 20, wall / thread CPU:
//! before the one-pass metrics (commit 9c977aa): text 94.4 ms, JSON 75.5 ms, deep 117 ms (CPU);
//! after: text 66 ms, JSON 54 ms, deep 31 ms (CPU).
//! Before the compact property store (load 0.4–3.7, three runs): text 57.7 / 57.5 / 56.8 ms wall
//! (56.7–57.7 CPU), JSON 44.1 / 43.7 / 42.2 ms, deep 29.6 ms; phases (CPU) parse text 34.7, parse
//! JSON 24.4, analyse 3.7, advise 16.6 ms.
//! After it (`plan::props`: 2-byte keys, no key strings, JSON read straight into nodes, each line
//! trimmed once and borrowed, not copied; load 5.6–6.0, three runs): text 23.3 / 25.4 / 25.0 ms
//! wall (22.7–25.2 CPU), JSON 22.0 / 20.9 / 23.8 ms, deep 16.0–16.5 ms; phases (CPU) parse text
//! 13.6–15.0, parse JSON 10.7–14.1, analyse 1.3–2.4, advise 8.1–9.5 ms. Plan pane: a frame
//! 0.29–0.31 ms, down arrow + frame 0.42–0.56 ms, page down + frame 0.40–0.50 ms.
//! With the need-based tree layout and the comparison (load 1.2): text 25.2 ms, JSON 22.6 ms; a
//! frame 0.30 ms, down arrow + frame 0.35 ms, page down + frame 0.36 ms; comparing two
//! 5,000-node plans 3.7 ms.

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
    // Where the time goes, thread CPU: parse alone, then analyse (on fresh copies) and advise.
    let (_, c_parse_text) = time(runs, || {
        let _ = plan::parse(&text);
    });
    let (_, c_parse_json) = time(runs, || {
        let _ = plan::parse(&json);
    });
    let parsed = plan::parse(&text).expect("the generated plan parses");
    let mut copies: Vec<plan::Plan> = (0..runs).map(|_| parsed.clone()).collect();
    let mut next = copies.iter_mut();
    let (_, c_analyse) = time(runs, || {
        if let Some(p) = next.next() {
            plan::metrics::analyse(p);
        }
    });
    let (_, c_advise) = time(runs, || {
        let _ = plan::advice::advise(&p, &plan::advice::Context::default());
    });
    println!(
        "  phases (CPU): parse text {c_parse_text:.1} ms, parse json {c_parse_json:.1} ms, analyse {c_analyse:.1} ms, advise {c_advise:.1} ms"
    );
    // Two 5,000-node plans compared (the plan with itself: every node matched).
    let (_, c_compare) = time(runs, || {
        let _ = plan::diff::compare(&p, &p);
    });
    println!("  compare two 5,000-node plans (CPU): {c_compare:.1} ms");
    frames(&text);
}

/// The plan pane at 140×40 on the 5,000-node plan: one frame, and scrolling (a frame per key).
fn frames(text: &str) {
    use pgdeck::action::Action;
    use pgdeck::db::Requests;
    use pgdeck::keymap::Keymap;
    use pgdeck::theme::Theme;
    use pgdeck::ui::plan::PlanPane;
    use pgdeck::ui::{Pane, RenderCx};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let theme = Theme::load("dark", None).expect("dark theme");
    let keymap = Keymap::default_keymap();
    let (requests, _rx) = Requests::detached();
    let mut pane = PlanPane::default();
    pane.show_text(text, None, false);
    let mut term = Terminal::new(TestBackend::new(140, 40)).expect("test terminal");
    let mut draw = |pane: &mut PlanPane| {
        term.draw(|f| {
            let cx = RenderCx {
                theme: &theme,
                keymap: &keymap,
                focused: true,
                tick: 0,
            };
            pane.render(f, f.area(), &cx);
        })
        .expect("draw");
    };
    let (w_first, c_first) = time(20, || draw(&mut pane));
    // Down through the first 2,000 nodes, then page down to the end: a frame after each key.
    let steps = 2000;
    let t = Instant::now();
    let c = cpu_ms();
    for _ in 0..steps {
        pane.update(Action::Down, &requests);
        draw(&mut pane);
    }
    let (w_down, c_down) = (
        t.elapsed().as_secs_f64() * 1000.0 / steps as f64,
        (cpu_ms() - c) / steps as f64,
    );
    let t = Instant::now();
    let c = cpu_ms();
    let mut pages = 0;
    while pane.selected + 1 < pane.visible().len() {
        pane.update(Action::PageDown, &requests);
        draw(&mut pane);
        pages += 1;
    }
    let (w_page, c_page) = (
        t.elapsed().as_secs_f64() * 1000.0 / f64::from(pages.max(1)),
        (cpu_ms() - c) / f64::from(pages.max(1)),
    );
    println!("plan pane, 5,000-node plan at 140×40, wall / thread CPU per frame:");
    println!("  frame: {w_first:.2} ms / {c_first:.2} ms (best of 20)");
    println!("  down arrow + frame: {w_down:.2} ms / {c_down:.2} ms (mean of {steps})");
    println!(
        "  page down + frame: {w_page:.2} ms / {c_page:.2} ms (mean of {pages}, to the last node)"
    );
}
