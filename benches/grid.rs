//! Grid figures for issue 3: the cost of drawing one frame of the results grid with 1,000 and with
//! 1,000,000 rows (it must not grow with the row count), and the memory of the compact row store
//! against the size of the same rows as CSV.
//!
//! Run: `cargo bench --bench grid`.

use std::time::{Duration, Instant};

use pgdeck::db::{Reply, Requests, Response};
use pgdeck::keymap::Keymap;
use pgdeck::model::result_set::{Column, ResultSet, RowBatch};
use pgdeck::theme::Theme;
use pgdeck::ui::grid::ResultsPane;
use pgdeck::ui::{Pane, RenderCx};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Rows like the table: int, text, timestamptz, numeric, jsonb (as text, as the server sends them).
fn row(i: usize) -> [String; 5] {
    [
        i.to_string(),
        format!("name-{i:07}-{}", "x".repeat(i % 17)),
        format!(
            "2026-11-{:02} {:02}:{:02}:{:02}.{:06}+00",
            1 + i % 28,
            i % 24,
            i % 60,
            (i * 7) % 60,
            i % 1_000_000
        ),
        format!("{}.{:02}", i * 3, i % 100),
        format!("{{\"k\": {}, \"tags\": [\"a\", \"b{}\"]}}", i % 1000, i % 7),
    ]
}

fn columns() -> Vec<Column> {
    ["id", "name", "created_at", "amount", "doc"]
        .iter()
        .map(|n| Column::named(*n))
        .collect()
}

fn pane_with(rows: usize) -> (ResultsPane, usize, usize) {
    let mut pane = ResultsPane::default();
    pane.begin_run(1);
    pane.on_reply(Response {
        id: 1,
        reply: Ok(Reply::ResultStarted { columns: columns() }),
        last: false,
    });
    let mut csv_bytes = 0usize;
    let mut b = RowBatch::new(5);
    for i in 0..rows {
        let r = row(i);
        csv_bytes += r.iter().map(|c| c.len() + 3).sum::<usize>();
        b.push_row(r.iter().map(|s| Some(s.as_str())));
        if b.rows() == 8192 {
            pane.on_reply(Response {
                id: 1,
                reply: Ok(Reply::Rows(std::mem::replace(&mut b, RowBatch::new(5)))),
                last: false,
            });
        }
    }
    pane.on_reply(Response {
        id: 1,
        reply: Ok(Reply::Rows(b)),
        last: false,
    });
    let set_bytes = pane.current_set().map_or(0, ResultSet::heap_bytes);
    (pane, csv_bytes, set_bytes)
}

fn frame_time(pane: &mut ResultsPane, frames: u32) -> Duration {
    let theme = Theme::load("dark", None).expect("theme");
    let keymap = Keymap::default_keymap();
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let (req, _rx) = Requests::detached();
    // move through the middle of the result, as a user scrolling would
    pane.update(pgdeck::action::Action::Bottom, &req);
    for _ in 0..3 {
        pane.update(pgdeck::action::Action::PageUp, &req);
    }
    let mut best = Duration::MAX;
    for f in 0..frames {
        let t = Instant::now();
        term.draw(|frame| {
            let cx = RenderCx {
                theme: &theme,
                keymap: &keymap,
                focused: true,
                tick: u64::from(f),
            };
            pane.render(frame, frame.area(), &cx);
        })
        .expect("draw");
        best = best.min(t.elapsed());
        pane.update(pgdeck::action::Action::Up, &req);
    }
    best
}

fn main() {
    let _ = ResultSet::new(vec![]);
    for rows in [1_000usize, 1_000_000] {
        let t = Instant::now();
        let (mut pane, csv, store) = pane_with(rows);
        let build = t.elapsed();
        let frame = frame_time(&mut pane, 50);
        println!(
            "{rows:>9} rows: frame {:.3} ms (best of 50, 200x50), store {:.1} MB vs CSV {:.1} MB ({:.2}x), built in {:.0} ms",
            frame.as_secs_f64() * 1000.0,
            store as f64 / 1e6,
            csv as f64 / 1e6,
            store as f64 / csv as f64,
            build.as_secs_f64() * 1000.0
        );
    }
}
