//! `pgdeck query`: run SQL from `-c`, files or stdin and stream every result to stdout as it
//! arrives (rows are written straight from the receive buffer, never held), in psql's shapes:
//! `--format csv` is byte for byte `psql --csv`, `table` looks like psql's aligned output. Command
//! tags go where psql puts them; notices and errors go to stderr in psql's wording. The first error
//! stops the run with exit code 2 (psql's ON_ERROR_STOP, what every script wants); Ctrl-C cancels the
//! running statement on the server and exits with 130.

use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, anyhow, bail};

use crate::cli::{ConnArgs, QueryArgs, QueryFormat};
use crate::config::Config;
use crate::conn::{self, ConnectError, Environment};
use crate::db::wire::{
    ColumnDesc, CopyFormat, CopyIn, DataRow, Notice, QuerySink, ServerError, WireCancel, WireConn,
};
use crate::db::{DbError, WORK_APP_NAME};
use crate::model::export::{Format, JsonKind, RowWriter};
use crate::model::sql_split;
use crate::model::table::{TableWriter, is_numeric_type};
use crate::model::text::visible;
use crate::run::{connection_params, print_warnings, prompt_password};

/// Bytes gathered before a write to stdout.
const OUT_BUFFER: usize = 64 * 1024;

/// One query string to send, and where it came from (for error messages).
struct Unit {
    sql: String,
    /// `-c`, a file name, or `<stdin>`.
    origin: String,
    /// 1-based line of the unit's first line in its origin.
    line: usize,
    meta: bool,
}

pub async fn run(args: &ConnArgs, config: &Config, q: &QueryArgs) -> anyhow::Result<ExitCode> {
    let format = if q.csv { QueryFormat::Csv } else { q.format };
    // Read every script before connecting: a missing file is reported without touching the server.
    let mut stdin_used = false;
    let mut units = Vec::new();
    for c in &q.command {
        units.push(Unit {
            sql: c.clone(),
            origin: "-c".into(),
            line: 1,
            meta: false,
        });
    }
    let files: Vec<&Path> = if q.command.is_empty() && q.file.is_empty() {
        vec![Path::new("-")]
    } else {
        q.file.iter().map(|p| p.as_path()).collect()
    };
    for file in files {
        let (text, origin) = if file == Path::new("-") {
            stdin_used = true;
            let mut text = String::new();
            io::stdin()
                .read_to_string(&mut text)
                .context("reading SQL from stdin")?;
            (text, "<stdin>".to_string())
        } else {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            (text, file.display().to_string())
        };
        for stmt in sql_split::split(&text) {
            units.push(Unit {
                sql: stmt.text(&text).to_string(),
                line: text[..stmt.range.start].matches('\n').count() + 1,
                origin: origin.clone(),
                meta: stmt.meta,
            });
        }
    }
    if let Some(meta) = units.iter().find(|u| u.meta) {
        bail!(
            "{}:{}: psql meta-commands such as {} are not run by pgdeck query; use SQL (they work in \
             the editor of the full-screen UI)",
            meta.origin,
            meta.line,
            meta.sql.split_whitespace().next().unwrap_or("\\")
        );
    }

    let (params, read_only) = connection_params(args, config)?;
    let mut target = conn::resolve(&params, &Environment::from_process())?;
    print_warnings(&target);
    let mut conn = connect_work(&mut target, args).await?;
    if read_only {
        conn.batch_execute("set default_transaction_read_only = on")
            .await
            .map_err(|e| anyhow!("setting up the session failed: {e}"))?;
    }

    let interrupted = Arc::new(AtomicBool::new(false));
    let watcher = spawn_interrupt_watcher(conn.cancel_handle(), interrupted.clone());
    let mut printer = Printer::new(format, q.quiet, conn.cancel_handle(), !stdin_used);
    let result = run_units(&mut conn, &units, q.single_transaction, &mut printer).await;
    watcher.abort();
    let flushed = printer.flush();
    conn.terminate().await;
    match printer.write_error.take() {
        // The reader went away (`pgdeck query ... | head`): stop quietly.
        Some(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Some(e) => return Err(anyhow!(e).context("writing the results")),
        None => flushed.context("writing the results")?,
    }
    match result? {
        Outcome::Done => Ok(ExitCode::SUCCESS),
        Outcome::Failed(unit_index, error) => {
            let unit = &units[unit_index];
            let mut err = io::stderr().lock();
            let _ = err.write_all(format_server_message(&error, Some(unit)).as_bytes());
            if interrupted.load(Ordering::SeqCst) {
                Ok(ExitCode::from(130))
            } else {
                Ok(ExitCode::from(2))
            }
        }
    }
}

enum Outcome {
    Done,
    /// The unit at this index failed on the server.
    Failed(usize, ServerError),
}

async fn run_units(
    conn: &mut WireConn,
    units: &[Unit],
    single_transaction: bool,
    printer: &mut Printer,
) -> anyhow::Result<Outcome> {
    if single_transaction {
        conn.batch_execute("begin")
            .await
            .map_err(|e| anyhow!("BEGIN failed: {e}"))?;
    }
    for (i, unit) in units.iter().enumerate() {
        conn.simple_query(&unit.sql, printer)
            .await
            .map_err(|e| anyhow!(DbError::from(e)))?;
        printer.flush_quietly();
        if printer.write_error.is_some() {
            return Ok(Outcome::Done);
        }
        if let Some(error) = printer.error.take() {
            if single_transaction {
                // The transaction is aborted; end it so nothing of it stays.
                let _ = conn.batch_execute("rollback").await;
            }
            return Ok(Outcome::Failed(i, error));
        }
    }
    if single_transaction {
        conn.batch_execute("commit")
            .await
            .map_err(|e| anyhow!("COMMIT failed: {e}"))?;
    }
    Ok(Outcome::Done)
}

/// Opens the one connection `pgdeck query` needs, asking for a password on a terminal when the
/// server wants one.
async fn connect_work(target: &mut conn::ConnTarget, args: &ConnArgs) -> anyhow::Result<WireConn> {
    if args.force_password && target.password.is_none() {
        target.password = Some(prompt_password(target).await?);
    }
    let mut prompted = args.force_password;
    loop {
        match WireConn::connect(target, WORK_APP_NAME).await {
            Ok(c) => return Ok(c),
            Err(ConnectError::PasswordRequired { .. })
                if !prompted && !args.no_password && io::stdin().is_terminal() =>
            {
                target.password = Some(prompt_password(target).await?);
                prompted = true;
            }
            Err(e) => return Err(anyhow!(e)),
        }
    }
}

/// Ctrl-C cancels the running statement on the server (the error that follows ends the run).
fn spawn_interrupt_watcher(
    cancel: WireCancel,
    interrupted: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            interrupted.store(true, Ordering::SeqCst);
            if let Err(e) = cancel.cancel().await {
                let _ = writeln!(io::stderr(), "pgdeck: could not cancel the statement: {e}");
            }
        }
    })
}

type Out = BufWriter<io::Stdout>;

/// The result being written.
enum Current {
    None,
    Rows(RowWriter<Out>),
    Table(TableWriter<Out>),
}

/// Writes each message of a query cycle to stdout (rows, tags) or stderr (notices) as it comes.
struct Printer {
    format: QueryFormat,
    quiet: bool,
    /// Where output goes between results; inside a writer while a result is being written.
    out: Option<Out>,
    current: Current,
    /// The first write error; later output is dropped and the statement cancelled.
    write_error: Option<io::Error>,
    cancel: WireCancel,
    /// The statement's error, taken by the caller after the cycle.
    error: Option<ServerError>,
    /// `COPY ... FROM STDIN` may read stdin (it does not carry the SQL).
    stdin_free: bool,
    /// Set by a COPY TO STDOUT, whose tag psql does not print.
    in_copy_out: bool,
    /// The header of the current result is not written yet: it waits for the first row, so a
    /// statement that fails before any row prints nothing, as with psql.
    header_pending: bool,
    /// The current statement returns rows (a RowDescription came), even without columns.
    returns_rows: bool,
}

impl Printer {
    fn new(format: QueryFormat, quiet: bool, cancel: WireCancel, stdin_free: bool) -> Self {
        Printer {
            format,
            quiet,
            out: Some(BufWriter::with_capacity(OUT_BUFFER, io::stdout())),
            current: Current::None,
            write_error: None,
            cancel,
            error: None,
            stdin_free,
            in_copy_out: false,
            returns_rows: false,
            header_pending: false,
        }
    }

    /// Records a write error once: stop writing and cancel the statement, whose rows nobody reads.
    fn failed(&mut self, e: io::Error) {
        if self.write_error.is_none() {
            self.write_error = Some(e);
            let cancel = self.cancel.clone();
            tokio::spawn(async move {
                let _ = cancel.cancel().await;
            });
        }
    }

    /// Ends the current result, giving the output back; `failed`: it ended in an error, so only
    /// what was already received is shown (no header for a result without rows, no footer).
    fn end_result_as(&mut self, failed: bool) {
        let header_pending = std::mem::take(&mut self.header_pending);
        let finished = match std::mem::replace(&mut self.current, Current::None) {
            Current::None => return,
            Current::Rows(w) if failed && header_pending => Ok(w.into_inner()),
            Current::Rows(mut w) => {
                if header_pending && let Err(e) = w.header() {
                    self.failed(e);
                }
                w.finish()
            }
            Current::Table(t) if failed => t.abandon(),
            Current::Table(t) => t.finish(),
        };
        match finished {
            Ok(out) => self.out = Some(out),
            Err(e) => {
                self.out = Some(BufWriter::with_capacity(OUT_BUFFER, io::stdout()));
                self.failed(e);
            }
        }
    }

    /// Ends the current result normally.
    fn end_result(&mut self) {
        self.end_result_as(false);
    }

    fn write_line(&mut self, line: &str) {
        if self.write_error.is_some() {
            return;
        }
        self.end_result();
        if let Some(out) = self.out.as_mut()
            && let Err(e) = writeln!(out, "{line}")
        {
            self.failed(e);
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.end_result();
        match self.out.as_mut() {
            Some(out) if self.write_error.is_none() => out.flush(),
            _ => Ok(()),
        }
    }

    /// Flush between units, so a slow later statement does not hold back what is done.
    fn flush_quietly(&mut self) {
        if let Err(e) = self.flush() {
            self.failed(e);
        }
    }
}

impl QuerySink for Printer {
    fn row_description(&mut self, columns: &[ColumnDesc]) {
        self.end_result();
        self.returns_rows = true;
        if self.write_error.is_some() {
            return;
        }
        let Some(mut out) = self.out.take() else {
            return;
        };
        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        if columns.is_empty() && self.format == QueryFormat::Csv {
            // psql --csv prints a lone newline for a result without columns, whatever its rows.
            if let Err(e) = out.write_all(b"\n") {
                self.failed(e);
            }
            self.out = Some(out);
            return;
        }
        self.current = match self.format {
            QueryFormat::Table => Current::Table(TableWriter::new(
                out,
                names,
                columns
                    .iter()
                    .map(|c| is_numeric_type(c.type_oid))
                    .collect(),
            )),
            f => {
                let format = match f {
                    QueryFormat::Csv => Format::Csv,
                    QueryFormat::Json => Format::Json,
                    QueryFormat::Markdown => Format::Markdown,
                    _ => Format::Tsv,
                };
                self.header_pending = true;
                Current::Rows(
                    RowWriter::new(out, format, names).with_json_kinds(
                        columns
                            .iter()
                            .map(|c| JsonKind::of_type(c.type_oid))
                            .collect(),
                    ),
                )
            }
        };
    }

    fn data_row(&mut self, row: DataRow<'_>) {
        if self.write_error.is_some() {
            return;
        }
        let result = match &mut self.current {
            Current::None => Ok(()),
            Current::Rows(w) => {
                let header = if std::mem::take(&mut self.header_pending) {
                    w.header()
                } else {
                    Ok(())
                };
                header.and_then(|()| w.row_bytes(row.cells()))
            }
            Current::Table(t) => {
                let cells: Vec<Option<std::borrow::Cow<'_, str>>> = row
                    .cells()
                    .map(|c| c.map(String::from_utf8_lossy))
                    .collect();
                t.row(cells.iter().map(|c| c.as_deref()))
            }
        };
        if let Err(e) = result {
            self.failed(e);
        }
    }

    fn command_complete(&mut self, tag: &str) {
        let had_rows = std::mem::take(&mut self.returns_rows);
        self.end_result();
        if std::mem::take(&mut self.in_copy_out) || self.quiet {
            return;
        }
        // psql prints the tag of a statement without rows, and of INSERT/UPDATE/DELETE/MERGE ...
        // RETURNING after its rows.
        let dml = ["INSERT", "UPDATE", "DELETE", "MERGE"]
            .iter()
            .any(|w| tag.starts_with(w));
        if had_rows && !dml {
            return;
        }
        if self.format == QueryFormat::Json {
            // stdout stays one JSON value per result.
            let _ = writeln!(io::stderr(), "{tag}");
        } else {
            self.write_line(tag);
        }
    }

    fn notice(&mut self, notice: Notice) {
        // psql shows notices as they come, between the results they belong to.
        self.flush_quietly();
        let e = ServerError {
            severity: notice.severity,
            sqlstate: notice.sqlstate,
            message: notice.message,
            detail: notice.detail,
            hint: notice.hint,
            // psql shows the context of errors only (SHOW_CONTEXT=errors)
            context: None,
            position: notice.position,
        };
        let _ = io::stderr()
            .lock()
            .write_all(format_server_message(&e, None).as_bytes());
    }

    fn error(&mut self, error: ServerError) {
        self.end_result_as(true);
        self.returns_rows = false;
        self.error.get_or_insert(error);
    }

    fn copy_out_start(&mut self, _format: CopyFormat, _columns: usize) {
        self.end_result();
        self.in_copy_out = true;
    }

    fn copy_data(&mut self, chunk: &[u8]) {
        if self.write_error.is_some() {
            return;
        }
        if let Some(out) = self.out.as_mut()
            && let Err(e) = out.write_all(chunk)
        {
            self.failed(e);
        }
    }

    fn copy_in(&mut self, _format: CopyFormat, _columns: usize) -> CopyIn {
        if std::mem::take(&mut self.stdin_free) {
            CopyIn::Reader(Box::new(tokio::io::stdin()))
        } else {
            CopyIn::Refuse(
                "COPY FROM STDIN needs the data on stdin, but stdin holds the SQL (use -c or -f) \
                 or was already read by an earlier COPY"
                    .into(),
            )
        }
    }
}

/// A server error or notice as psql prints it: `ERROR:  message`, the statement line with a caret
/// under the error position, then DETAIL, HINT and CONTEXT; for a script, the place first.
fn format_server_message(e: &ServerError, unit: Option<&Unit>) -> String {
    let mut s = String::new();
    if let Some(u) = unit.filter(|u| u.origin != "-c") {
        s.push_str(&format!("pgdeck: {}:{}: ", u.origin, error_line(e, u)));
    }
    s.push_str(&format!("{}:  {}\n", e.severity, visible(&e.message)));
    if let (Some(pos), Some(u)) = (e.position, unit)
        && let Some((line_no, line, col)) = position_in(&u.sql, pos)
    {
        {
            let prefix = format!("LINE {line_no}: ");
            let shown = visible(line);
            let caret = crate::model::text::width(&prefix)
                + crate::model::text::width(&visible(&line[..col]));
            s.push_str(&format!("{prefix}{shown}\n{}^\n", " ".repeat(caret)));
        }
    }
    for (label, v) in [
        ("DETAIL", &e.detail),
        ("HINT", &e.hint),
        ("CONTEXT", &e.context),
    ] {
        if let Some(v) = v {
            s.push_str(&format!("{label}:  {}\n", v.replace('\x1b', "\\e")));
        }
    }
    s
}

/// The line in the unit's origin where the error is (its position's line, else the first).
fn error_line(e: &ServerError, u: &Unit) -> usize {
    e.position
        .and_then(|p| position_in(&u.sql, p))
        .map_or(u.line, |(n, _, _)| u.line + n - 1)
}

/// For a 1-based character position in `sql`: the 1-based line number, that line's text, and the
/// byte offset of the position within the line.
fn position_in(sql: &str, pos: u32) -> Option<(usize, &str, usize)> {
    let byte = sql
        .char_indices()
        .nth((pos as usize).checked_sub(1)?)
        .map_or(sql.len(), |(b, _)| b);
    let line_start = sql[..byte].rfind('\n').map_or(0, |i| i + 1);
    let line_end = sql[byte..].find('\n').map_or(sql.len(), |i| byte + i);
    let line_no = sql[..byte].matches('\n').count() + 1;
    Some((
        line_no,
        sql[line_start..line_end].trim_end_matches('\r'),
        byte - line_start,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(message: &str, position: Option<u32>) -> ServerError {
        ServerError {
            severity: "ERROR".into(),
            sqlstate: "42P01".into(),
            message: message.into(),
            detail: None,
            hint: Some("Check the name.".into()),
            context: None,
            position,
        }
    }

    fn unit(sql: &str, origin: &str, line: usize) -> Unit {
        Unit {
            sql: sql.into(),
            origin: origin.into(),
            line,
            meta: false,
        }
    }

    #[test]
    fn errors_read_like_psql() {
        let e = err("relation \"nope\" does not exist", Some(13));
        let u = unit("insert into nope values(1);", "-c", 1);
        assert_eq!(
            format_server_message(&e, Some(&u)),
            "ERROR:  relation \"nope\" does not exist\n\
             LINE 1: insert into nope values(1);\n\
             \x20                   ^\n\
             HINT:  Check the name.\n"
        );
    }

    #[test]
    fn script_errors_name_the_file_and_the_line_of_the_position() {
        let e = err("syntax error at or near \"selec\"", Some(13));
        let u = unit("select 1,\n  selec 2;", "setup.sql", 7);
        let text = format_server_message(&e, Some(&u));
        assert!(
            text.starts_with("pgdeck: setup.sql:8: ERROR:  syntax error"),
            "{text}"
        );
        assert!(text.contains("LINE 2:   selec 2;\n          ^\n"), "{text}");
    }

    #[test]
    fn caret_counts_characters_not_bytes() {
        // position 5 is the 5th character: after the two-byte é's and the wide 日
        let e = err("boom", Some(5));
        let u = unit("éé日 x", "-c", 1);
        let text = format_server_message(&e, Some(&u));
        assert!(text.contains("LINE 1: éé日 x\n             ^\n"), "{text}");
    }

    #[test]
    fn positions_out_of_range_do_not_panic() {
        let u = unit("select", "-c", 1);
        for pos in [0, 1, 6, 7, 1000] {
            let _ = format_server_message(&err("x", Some(pos)), Some(&u));
        }
        assert!(position_in("", 1).is_some());
    }
}
