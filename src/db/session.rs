//! User statements on the work connection: streaming results in batches, the row cap, cancellation and
//! the transaction state after each run. Runs on its own task; the worker stays free to take a cancel.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{Client, SimpleQueryMessage};

use super::{CancelHandle, DbError, Reply, RequestId, Response, RunOutcome, WorkerEvent};
use crate::model::result_set::{Column, RowBatch};
use crate::model::sql_split;
use crate::model::txn::{self, TxStatus};

/// Rows in the first batch of a result: small, so the first rows reach the screen at once.
const FIRST_BATCH_ROWS: usize = 200;
/// Rows per batch after the first.
const BATCH_ROWS: usize = 8192;
/// A partial batch is sent when this much time has passed since the last one.
const BATCH_INTERVAL: Duration = Duration::from_millis(50);

/// Everything a run needs, handed over by the worker.
pub struct RunContext {
    pub id: RequestId,
    pub client: Arc<Client>,
    pub events: mpsc::UnboundedSender<WorkerEvent>,
    pub tx_status: Arc<Mutex<TxStatus>>,
    pub running: Arc<Mutex<Option<RequestId>>>,
    pub row_cap: u64,
    pub cancel: CancelHandle,
}

impl RunContext {
    fn send(&self, reply: Reply, last: bool) {
        let _ = self.events.send(WorkerEvent::Response(Response {
            id: self.id,
            reply: Ok(reply),
            last,
        }));
    }
}

/// Run `sql` (one or more statements) and stream the replies. psql meta-commands in the text are not
/// sent to the server; a text made only of them is answered with an error saying so.
pub async fn run(ctx: RunContext, sql: String, started: Instant) {
    let statements = sql_split::split(&sql);
    let meta: Vec<&str> = statements
        .iter()
        .filter(|s| s.meta)
        .map(|s| s.text(&sql))
        .collect();
    let sendable: Vec<&sql_split::Statement> = statements.iter().filter(|s| !s.meta).collect();
    let tx_before = ctx.tx_status.lock().map(|s| *s).unwrap_or_default();
    let mut outcome = RunOutcome {
        error: None,
        tx: tx_before,
        elapsed: Duration::ZERO,
        completed: 0,
        rows: 0,
        capped: false,
        text_offset: sendable.first().map_or(0, |s| s.range.start),
    };
    if sendable.is_empty() {
        outcome.error = Some(DbError::Refused(if meta.is_empty() {
            "nothing to run: the statement is empty".into()
        } else {
            format!(
                "psql meta-commands are not run yet ({}); run SQL instead",
                meta.join(", ")
            )
        }));
        finish(&ctx, outcome, started);
        return;
    }
    // Send the text from the first to the last SQL statement as one piece, so a server error position
    // maps back to the editor by adding one offset.
    let first = sendable[0].range.start;
    let last = sendable[sendable.len() - 1].range.end;
    let contiguous = meta.is_empty()
        || statements
            .iter()
            .filter(|s| s.meta)
            .all(|m| m.range.end <= first || m.range.start >= last);
    let (text, base): (String, usize) = if contiguous {
        (sql[first..last].to_string(), first)
    } else {
        // Rare: meta-commands between SQL statements. Blank them out, keeping byte offsets.
        let mut t = sql.clone();
        for m in statements.iter().filter(|s| s.meta) {
            t.replace_range(m.range.clone(), &" ".repeat(m.range.len()));
        }
        (t[first..last].to_string(), first)
    };
    let stmt_texts: Vec<&str> = sendable.iter().map(|s| s.text(&sql)).collect();
    outcome.text_offset = base;

    let mut stream = match ctx.client.simple_query_raw(&text).await {
        Ok(s) => Box::pin(s),
        Err(e) => {
            let err = DbError::from(&e);
            outcome.tx = txn::after_error(tx_before, &stmt_texts, 0);
            outcome.error = Some(err);
            finish(&ctx, outcome, started);
            return;
        }
    };
    let mut batch: Option<RowBatch> = None;
    let mut sent_in_result = 0usize;
    let mut last_flush = Instant::now();
    let mut stmt_started = Instant::now();
    let mut cancel_sent = false;
    let mut tx = tx_before;
    while let Some(msg) = stream.next().await {
        match msg {
            Ok(SimpleQueryMessage::RowDescription(cols)) => {
                let columns: Vec<Column> = cols
                    .iter()
                    .map(|c| Column {
                        name: c.name().to_string(),
                    })
                    .collect();
                batch = Some(RowBatch::new(columns.len()));
                sent_in_result = 0;
                last_flush = Instant::now();
                ctx.send(Reply::ResultStarted { columns }, false);
            }
            Ok(SimpleQueryMessage::Row(row)) => {
                if outcome.capped {
                    continue; // draining after the cancel request
                }
                let b = batch.get_or_insert_with(|| RowBatch::new(row.len()));
                b.push_row((0..row.len()).map(|i| row.get(i)));
                outcome.rows += 1;
                let limit = if sent_in_result == 0 {
                    FIRST_BATCH_ROWS
                } else {
                    BATCH_ROWS
                };
                if b.rows() >= limit
                    || last_flush.elapsed() >= BATCH_INTERVAL
                    || !b.has_room(1 << 20)
                {
                    sent_in_result += b.rows();
                    let full = std::mem::replace(b, RowBatch::new(row.len()));
                    ctx.send(Reply::Rows(full), false);
                    last_flush = Instant::now();
                }
                if outcome.rows >= ctx.row_cap && !cancel_sent {
                    outcome.capped = true;
                    cancel_sent = true;
                    // Stop the server from producing more; rows already received stay.
                    let _ = ctx.cancel.cancel().await;
                }
            }
            Ok(SimpleQueryMessage::CommandComplete(n)) => {
                flush(&ctx, &mut batch);
                let elapsed = stmt_started.elapsed();
                stmt_started = Instant::now();
                if let Some(s) = stmt_texts.get(outcome.completed) {
                    tx = txn::after_success(tx, s);
                }
                outcome.completed += 1;
                ctx.send(Reply::StatementDone { rows: n, elapsed }, false);
            }
            Ok(_) => {}
            Err(e) => {
                flush(&ctx, &mut batch);
                let err = DbError::from(&e);
                tx = txn::after_error(tx_before, &stmt_texts, outcome.completed);
                if outcome.capped && err.is_cancel() {
                    // our own cancel at the row cap: not an error for the user
                } else {
                    outcome.error = Some(match err {
                        // Never re-run silently: say the statement was interrupted.
                        DbError::ConnectionLost(m) => {
                            tx = TxStatus::Idle;
                            DbError::ConnectionLost(format!(
                                "{m}; the statement was interrupted and has not been re-run"
                            ))
                        }
                        other => other,
                    });
                }
                break;
            }
        }
    }
    flush(&ctx, &mut batch);
    outcome.tx = tx;
    finish(&ctx, outcome, started);
}

/// Send the rows gathered so far, if any.
fn flush(ctx: &RunContext, batch: &mut Option<RowBatch>) {
    if let Some(b) = batch.as_mut()
        && b.rows() > 0
    {
        let ncols = b.ncols();
        let full = std::mem::replace(b, RowBatch::new(ncols));
        ctx.send(Reply::Rows(full), false);
    }
}

fn finish(ctx: &RunContext, mut outcome: RunOutcome, started: Instant) {
    outcome.elapsed = started.elapsed();
    if let Ok(mut s) = ctx.tx_status.lock() {
        *s = outcome.tx;
    }
    if let Ok(mut r) = ctx.running.lock() {
        *r = None;
    }
    ctx.send(Reply::RunFinished(outcome), true);
}
