//! User statements on the work connection: streaming results in batches, the row cap, cancellation, the
//! notices and command tags of each statement, and the transaction state the server reports after each
//! run. Runs on its own task with the work connection ([`WireConn`]) locked; the worker stays free to
//! take a cancel. It must not re-run anything after a broken connection.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::wire::{self, ColumnDesc, CopyFormat, DataRow, QuerySink, WireConn, WireError};
use super::{
    CancelHandle, DbError, Notice, Reply, RequestId, Response, RunOutcome, ServerError, WorkerEvent,
};
use crate::model::result_set::{Column, RowBatch};
use crate::model::sql_split;
use crate::model::txn::{self, TxMode, TxStatus};

/// Rows in the first batch of a result: small, so the first rows reach the screen at once.
const FIRST_BATCH_ROWS: usize = 200;
/// Rows per batch after the first.
const BATCH_ROWS: usize = 8192;
/// Text per batch at most, so that wide rows do not make huge batches.
const BATCH_BYTES: usize = 8 << 20;
/// While the server is slow to send more, rows received are passed on at this interval.
const BATCH_INTERVAL: Duration = Duration::from_millis(50);

/// Everything a run needs, handed over by the worker.
pub struct RunContext {
    pub id: RequestId,
    /// The work connection; the run holds the lock until it ends.
    pub conn: Arc<tokio::sync::Mutex<WireConn>>,
    pub events: mpsc::UnboundedSender<WorkerEvent>,
    pub tx_status: Arc<Mutex<TxStatus>>,
    pub running: Arc<Mutex<Option<RequestId>>>,
    pub row_cap: u64,
    pub cancel: CancelHandle,
    /// Manual commit and on-error rollback.
    pub mode: TxMode,
}

/// The savepoint ON_ERROR_ROLLBACK takes before a run inside a transaction.
const SAVEPOINT: &str = "pgdeck_on_error_rollback";

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
    outcome.text_offset = base;

    let stmt_texts: Vec<&str> = sendable.iter().map(|s| s.text(&sql)).collect();
    let mut conn = ctx.conn.lock().await;
    // Manual commit: open the transaction the user will end with COMMIT or ROLLBACK.
    if !ctx.mode.autocommit
        && conn.tx_status() == TxStatus::Idle
        && txn::wants_implicit_begin(&stmt_texts)
        && let Err(e) = conn.batch_execute("begin").await
    {
        outcome.tx = conn.tx_status();
        outcome.error = Some(e);
        drop(conn);
        finish(&ctx, outcome, started);
        return;
    }
    let savepoint = ctx.mode.on_error_rollback
        && conn.tx_status() == TxStatus::InTransaction
        && txn::savepoint_allowed(&stmt_texts)
        && conn
            .batch_execute(&format!("savepoint {SAVEPOINT}"))
            .await
            .is_ok();
    let mut sink = RunSink::new(&ctx, &mut outcome);
    let mut result = conn.simple_query(&text, &mut sink).await;
    sink.flush();
    let error = sink.error.take();
    if savepoint && let Ok(tx) = result {
        result = end_savepoint(&mut conn, tx, error.is_some(), &mut sink).await;
    }
    drop(sink);
    match result {
        Ok(tx) => {
            outcome.tx = tx;
            outcome.error = error.map(DbError::Server);
        }
        Err(WireError::Refused(m)) => {
            outcome.tx = conn.tx_status();
            outcome.error = Some(DbError::Refused(m));
        }
        // Never re-run silently: say the statement was interrupted. A transaction ends with its session.
        Err(e) => {
            outcome.tx = TxStatus::Idle;
            let reason = match e {
                WireError::ConnectionLost { reason, .. } => reason,
                other => other.to_string(),
            };
            outcome.error = Some(DbError::ConnectionLost(format!(
                "{reason}; the statement was interrupted and has not been re-run"
            )));
        }
    }
    drop(conn);
    finish(&ctx, outcome, started);
}

/// After a run wrapped in the ON_ERROR_ROLLBACK savepoint: on failure roll back to it (the
/// transaction stays open, without the run's effects) and say so; then release it.
async fn end_savepoint(
    conn: &mut WireConn,
    tx: TxStatus,
    failed: bool,
    sink: &mut RunSink<'_>,
) -> Result<TxStatus, WireError> {
    if tx == TxStatus::Idle {
        return Ok(tx);
    }
    let sql = if failed && tx == TxStatus::Failed {
        format!("rollback to savepoint {SAVEPOINT}; release savepoint {SAVEPOINT}")
    } else {
        format!("release savepoint {SAVEPOINT}")
    };
    let status = conn.simple_query(&sql, &mut wire::Discard).await?;
    if failed && status == TxStatus::InTransaction {
        sink.notice(Notice {
            severity: "INFO".into(),
            sqlstate: "00000".into(),
            message: "on-error rollback: the transaction is still open, as it was before this run"
                .into(),
            detail: None,
            hint: Some("COMMIT or ROLLBACK when you are done".into()),
            context: None,
            position: None,
        });
    }
    Ok(status)
}

/// Turns the messages of a run into replies: result starts, row batches, statement ends with their
/// tags, notices, in the server's order.
struct RunSink<'a> {
    ctx: &'a RunContext,
    outcome: &'a mut RunOutcome,
    batch: Option<RowBatch>,
    /// Rows of the current result already sent.
    sent_in_result: usize,
    /// Text bytes of the current result already sent (sizes the next batch).
    sent_bytes: usize,
    last_flush: Instant,
    stmt_started: Instant,
    /// The first server error of the run.
    error: Option<ServerError>,
    cancel_sent: bool,
}

impl<'a> RunSink<'a> {
    fn new(ctx: &'a RunContext, outcome: &'a mut RunOutcome) -> Self {
        RunSink {
            ctx,
            outcome,
            batch: None,
            sent_in_result: 0,
            sent_bytes: 0,
            last_flush: Instant::now(),
            stmt_started: Instant::now(),
            error: None,
            cancel_sent: false,
        }
    }

    fn start_result(&mut self, columns: Vec<Column>) {
        self.flush();
        self.batch = None;
        self.sent_in_result = 0;
        self.sent_bytes = 0;
        self.last_flush = Instant::now();
        self.ctx.send(Reply::ResultStarted { columns }, false);
    }

    /// A new batch sized for a full batch of rows like those seen so far, so it fills without
    /// reallocating.
    fn new_batch(&self, ncols: usize) -> RowBatch {
        if self.sent_in_result == 0 {
            return RowBatch::new(ncols);
        }
        let per_row = self.sent_bytes / self.sent_in_result;
        let bytes = (per_row * BATCH_ROWS + per_row * BATCH_ROWS / 16).min(BATCH_BYTES);
        RowBatch::with_capacity(ncols, BATCH_ROWS, bytes)
    }

    /// Append one row, send the batch when it is full, and stop at the row cap.
    fn push<'c>(&mut self, ncols: usize, cells: impl IntoIterator<Item = Option<&'c [u8]>>) {
        if self.outcome.capped {
            return; // draining what the server sent before the cancel took effect
        }
        if self.batch.is_none() {
            self.batch = Some(self.new_batch(ncols));
        }
        let Some(b) = self.batch.as_mut() else { return };
        b.push_row_bytes(cells);
        self.outcome.rows += 1;
        let limit = if self.sent_in_result == 0 {
            FIRST_BATCH_ROWS
        } else {
            BATCH_ROWS
        };
        if b.rows() >= limit || b.text_len() >= BATCH_BYTES {
            self.flush();
        }
        if self.outcome.rows >= self.ctx.row_cap && !self.cancel_sent {
            self.outcome.capped = true;
            self.cancel_sent = true;
            // Stop the server from producing more; rows already received stay. On its own task:
            // the sink must not wait, and the rows already on their way are read meanwhile.
            let cancel = self.ctx.cancel.clone();
            tokio::spawn(async move {
                if let Err(e) = cancel.cancel().await {
                    tracing::debug!("cancel at the row cap: {e}");
                }
            });
        }
    }

    /// Send the rows gathered so far, if any.
    fn flush(&mut self) {
        let Some(mut full) = self.batch.take_if(|b| b.rows() > 0) else {
            return;
        };
        full.shrink_slack();
        self.sent_in_result += full.rows();
        self.sent_bytes += full.text_len();
        self.ctx.send(Reply::Rows(full), false);
        self.last_flush = Instant::now();
    }
}

impl QuerySink for RunSink<'_> {
    fn row_description(&mut self, columns: &[ColumnDesc]) {
        let columns = columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                type_oid: c.type_oid,
            })
            .collect();
        self.start_result(columns);
    }

    fn data_row(&mut self, row: DataRow<'_>) {
        self.push(row.len(), row.cells());
    }

    fn command_complete(&mut self, tag: &str) {
        self.flush();
        self.batch = None;
        let elapsed = self.stmt_started.elapsed();
        self.stmt_started = Instant::now();
        self.outcome.completed += 1;
        self.ctx.send(
            Reply::StatementDone {
                rows: wire::parse_tag(tag).rows.unwrap_or(0),
                elapsed,
                tag: tag.to_owned(),
            },
            false,
        );
    }

    fn notice(&mut self, notice: Notice) {
        // Rows received before the notice go first: the order is the server's.
        self.flush();
        self.ctx.send(Reply::Notice(notice), false);
    }

    fn error(&mut self, error: ServerError) {
        self.flush();
        // Our own cancel at the row cap is not an error for the user.
        if self.outcome.capped && error.sqlstate == "57014" {
            return;
        }
        self.error.get_or_insert(error);
    }

    fn copy_out_start(&mut self, format: CopyFormat, _columns: usize) {
        // COPY TO STDOUT shows as a result of one text column, a row per line.
        let name = match format {
            CopyFormat::Text => "copy",
            CopyFormat::Binary => "copy (binary)",
        };
        self.start_result(vec![Column {
            name: name.into(),
            type_oid: 25,
        }]);
    }

    fn copy_data(&mut self, chunk: &[u8]) {
        let line = chunk.strip_suffix(b"\n").unwrap_or(chunk);
        self.push(1, [Some(line)]);
    }

    fn waiting(&mut self) -> Option<Duration> {
        let pending = self.batch.as_ref().is_some_and(|b| b.rows() > 0);
        if !pending {
            return None;
        }
        let since = self.last_flush.elapsed();
        if self.sent_in_result == 0 || since >= BATCH_INTERVAL {
            self.flush();
            None
        } else {
            Some(BATCH_INTERVAL - since)
        }
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
