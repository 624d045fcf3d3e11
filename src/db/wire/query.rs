//! The simple-query cycle: one Query message, then every backend message up to ReadyForQuery
//! handed to a [`QuerySink`] in the order the server sent it, DataRow and CopyData straight from
//! the receive buffer. COPY ... TO STDOUT streams to the sink; COPY ... FROM STDIN takes its data
//! from the sink or is refused with CopyFail. Also the small helpers pgdeck itself needs on the
//! work connection (one value, a statement without results) and the idle check. It must not
//! interpret rows (the sink does) or hold results.

use std::time::Duration;

use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::{Message, NotificationResponseBody, ParameterStatusBody};
use postgres_protocol::message::frontend;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::io::frame_header;
use super::message::{DataRow, Fields, Notification, row_description};
use super::{ColumnDesc, Notice, ServerError, TxStatus, WireConn, WireError, message_name};
use crate::db::DbError;

/// COPY data chunks are sent in pieces of this size.
const COPY_CHUNK: usize = 64 * 1024;

/// The format of a COPY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    /// Text or CSV: lines of text.
    Text,
    /// `FORMAT binary`.
    Binary,
}

/// What to send for a `COPY ... FROM STDIN`.
pub enum CopyIn {
    /// Send CopyFail with this message: the server ends the COPY with an error that quotes it.
    Refuse(String),
    /// Send these bytes as the COPY data.
    Data(bytes::Bytes),
    /// Send what this reader yields, until its end (a read error is sent as CopyFail).
    Reader(Box<dyn AsyncRead + Send + Unpin>),
}

/// What a sink says when it has no COPY data: the statement fails with this message.
pub const NO_COPY_SOURCE: &str = "pgdeck has no data to send for COPY FROM STDIN here; use COPY \
                                  ... FROM a file on the server, or psql's \\copy";

/// Receives the messages of a simple-query cycle, in the server's order. Everything is called
/// synchronously from inside [`WireConn::simple_query`]: a sink that must do slow work (network,
/// disk) hands it to another task.
pub trait QuerySink {
    /// A statement returns rows with these columns; its rows follow.
    fn row_description(&mut self, columns: &[ColumnDesc]);
    /// One row of the current result, as a view into the receive buffer.
    fn data_row(&mut self, row: DataRow<'_>);
    /// A statement completed; `tag` is its command tag (`SELECT 3`, `UPDATE 0`, `CREATE TABLE`).
    fn command_complete(&mut self, tag: &str);
    /// The query string (or the part after the last `;`) was empty.
    fn empty_query(&mut self) {}
    /// A NOTICE, WARNING, INFO... in order with the results.
    fn notice(&mut self, notice: Notice);
    /// A statement failed. The server skips the rest of the query string; ReadyForQuery follows.
    fn error(&mut self, error: ServerError);
    /// `COPY ... TO STDOUT` begins: CopyData chunks follow, then a command tag `COPY n`.
    fn copy_out_start(&mut self, _format: CopyFormat, _columns: usize) {}
    /// One CopyData chunk (in text format, one row with its newline).
    fn copy_data(&mut self, _chunk: &[u8]) {}
    /// `COPY ... FROM STDIN` wants data.
    fn copy_in(&mut self, _format: CopyFormat, _columns: usize) -> CopyIn {
        CopyIn::Refuse(NO_COPY_SOURCE.to_owned())
    }
    /// A NOTIFY for a channel this session listens to.
    fn notification(&mut self, _notification: Notification) {}
    /// Everything received so far was handed over and the next message has to come over the
    /// network: a good moment to pass on buffered rows. Returning a duration asks to be called
    /// again after that long if nothing has arrived by then.
    fn waiting(&mut self) -> Option<Duration> {
        None
    }
}

/// A sink that keeps nothing (for statements run for their effect).
pub struct Discard;

impl QuerySink for Discard {
    fn row_description(&mut self, _columns: &[ColumnDesc]) {}
    fn data_row(&mut self, _row: DataRow<'_>) {}
    fn command_complete(&mut self, _tag: &str) {}
    fn notice(&mut self, notice: Notice) {
        tracing::debug!("server {}: {}", notice.severity, notice.message);
    }
    fn error(&mut self, _error: ServerError) {}
}

/// Keeps the first value of the first row and the first error.
#[derive(Default)]
struct FirstValue {
    value: Option<Option<String>>,
    error: Option<ServerError>,
}

impl QuerySink for FirstValue {
    fn row_description(&mut self, _columns: &[ColumnDesc]) {}
    fn data_row(&mut self, row: DataRow<'_>) {
        if self.value.is_none() {
            self.value = Some(
                row.cells()
                    .next()
                    .flatten()
                    .map(|v| String::from_utf8_lossy(v).into_owned()),
            );
        }
    }
    fn command_complete(&mut self, _tag: &str) {}
    fn notice(&mut self, notice: Notice) {
        tracing::debug!("server {}: {}", notice.severity, notice.message);
    }
    fn error(&mut self, error: ServerError) {
        self.error.get_or_insert(error);
    }
}

impl WireConn {
    /// Runs `sql` (one or several statements) with the simple query protocol and hands every
    /// message to `sink` in order; returns the transaction status of the closing ReadyForQuery.
    /// Server errors go to the sink and are not failures; `Err` means the request could not be
    /// sent ([`WireError::Refused`]) or the connection broke ([`WireError::ConnectionLost`],
    /// [`WireError::Protocol`]), in which case nothing is retried.
    pub async fn simple_query<S: QuerySink + ?Sized>(
        &mut self,
        sql: &str,
        sink: &mut S,
    ) -> Result<TxStatus, WireError> {
        self.usable()?;
        if sql.contains('\0') {
            return Err(WireError::Refused(
                "the statement text contains a NUL character, which PostgreSQL cannot receive"
                    .into(),
            ));
        }
        self.finish_abandoned().await?;
        for notice in self.pending.drain(..) {
            sink.notice(notice);
        }
        self.send_query(sql).await?;
        let status = self.read_cycle(sink).await?;
        self.keep_utf8(sink).await?;
        Ok(status)
    }

    /// Runs `sql` for its effect; the first server error is returned.
    pub async fn batch_execute(&mut self, sql: &str) -> Result<TxStatus, DbError> {
        let mut sink = FirstValue::default();
        let status = self.simple_query(sql, &mut sink).await?;
        match sink.error {
            Some(e) => Err(DbError::Server(e)),
            None => Ok(status),
        }
    }

    /// Runs `sql` and returns the first column of its first row (`None`: no row, or NULL).
    pub async fn first_value(&mut self, sql: &str) -> Result<Option<String>, DbError> {
        let mut sink = FirstValue::default();
        self.simple_query(sql, &mut sink).await?;
        match sink.error {
            Some(e) => Err(DbError::Server(e)),
            None => Ok(sink.value.flatten()),
        }
    }

    async fn send_query(&mut self, sql: &str) -> Result<(), WireError> {
        frontend::query(sql, &mut self.ch.wbuf)
            .map_err(|e| WireError::Refused(format!("the statement cannot be sent: {e}")))?;
        self.in_cycle = true;
        self.flush().await
    }

    /// Reads (and drops) what is left of a query whose caller gave up on it midway, so that the
    /// next query's messages are its own. A COPY FROM STDIN left waiting is failed first.
    async fn finish_abandoned(&mut self) -> Result<(), WireError> {
        if !self.in_cycle {
            return Ok(());
        }
        if self.in_copy_in {
            self.ch.wbuf.clear();
            let _ = frontend::copy_fail("the COPY was abandoned by pgdeck", &mut self.ch.wbuf);
            self.flush().await?;
            self.in_copy_in = false;
        }
        self.read_cycle(&mut Discard).await.map(|_| ())
    }

    /// Sends the write buffer; a failure means the connection is gone.
    async fn flush(&mut self) -> Result<(), WireError> {
        if let Err(e) = self.ch.send().await {
            // The server may have said why before it closed (e.g. FATAL 57P01): use its words.
            let _ = self.check_alive();
            return Err(match &self.lost {
                Some(lost) => lost.clone(),
                None => self.lose(crate::conn::describe_io(&e), None),
            });
        }
        Ok(())
    }

    /// Reads messages up to and including ReadyForQuery.
    async fn read_cycle<S: QuerySink + ?Sized>(
        &mut self,
        sink: &mut S,
    ) -> Result<TxStatus, WireError> {
        loop {
            let frame = match self.ch.complete_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => {
                    self.wait_for_data(sink).await?;
                    continue;
                }
                Err(e) => return Err(self.protocol_error(e)),
            };
            // The two messages that come by the million are handled in place, without
            // splitting the buffer.
            match frame.tag {
                b'D' => {
                    match DataRow::parse(frame.body(&self.ch.rbuf)) {
                        Ok(row) => sink.data_row(row),
                        Err(e) => return Err(self.protocol_error(e)),
                    }
                    self.ch.consume(frame);
                    continue;
                }
                b'd' => {
                    sink.copy_data(frame.body(&self.ch.rbuf));
                    self.ch.consume(frame);
                    continue;
                }
                _ => {}
            }
            let message = match Message::parse(&mut self.ch.rbuf) {
                Ok(Some(m)) => m,
                Ok(None) => return Err(self.protocol_error("a message ended early".into())),
                Err(e) => {
                    return Err(
                        self.protocol_error(format!("bad {}: {e}", message_name(frame.tag)))
                    );
                }
            };
            match message {
                Message::RowDescription(body) => {
                    if let Err(e) = row_description(&body, &mut self.columns) {
                        return Err(self.protocol_error(e));
                    }
                    sink.row_description(&self.columns);
                }
                Message::CommandComplete(body) => match body.tag() {
                    Ok(tag) => sink.command_complete(tag),
                    Err(e) => return Err(self.protocol_error(format!("bad command tag: {e}"))),
                },
                Message::EmptyQueryResponse => sink.empty_query(),
                Message::ErrorResponse(body) => {
                    let fields = match Fields::parse(body.fields()) {
                        Ok(f) => f,
                        Err(e) => return Err(self.protocol_error(e)),
                    };
                    if fields.is_fatal() {
                        return Err(self.ended_by_server(fields));
                    }
                    sink.error(fields.into_error());
                }
                Message::NoticeResponse(body) => match Fields::parse(body.fields()) {
                    Ok(f) => sink.notice(f.into_notice()),
                    Err(e) => return Err(self.protocol_error(e)),
                },
                Message::ParameterStatus(body) => self.record_parameter(&body),
                Message::NotificationResponse(body) => {
                    if let Some(n) = notification(&body) {
                        sink.notification(n);
                    }
                }
                Message::CopyOutResponse(body) => sink.copy_out_start(
                    copy_format(body.format()),
                    body.column_formats().count().unwrap_or(0),
                ),
                Message::CopyDone => {}
                Message::CopyInResponse(body) => {
                    let source = sink.copy_in(
                        copy_format(body.format()),
                        body.column_formats().count().unwrap_or(0),
                    );
                    self.send_copy(source).await?;
                }
                Message::ReadyForQuery(body) => {
                    let Some(status) = TxStatus::from_ready_status(body.status()) else {
                        return Err(self.protocol_error(format!(
                            "ReadyForQuery with status {:?}",
                            body.status() as char
                        )));
                    };
                    self.tx = status;
                    self.in_cycle = false;
                    return Ok(status);
                }
                _ => {
                    return Err(self.protocol_error(format!(
                        "unexpected {} during a query",
                        message_name(frame.tag)
                    )));
                }
            }
        }
    }

    /// Gets more bytes for the message at the front of the buffer. Looks first whether some are
    /// already there; only when the network makes us wait is the sink told.
    async fn wait_for_data<S: QuerySink + ?Sized>(
        &mut self,
        sink: &mut S,
    ) -> Result<(), WireError> {
        let need = match frame_header(&self.ch.rbuf) {
            Ok(Some(f)) => f.total.saturating_sub(self.ch.rbuf.len()),
            _ => 5usize.saturating_sub(self.ch.rbuf.len()),
        };
        let read = match self.ch.fill_now(need) {
            Some(read) => read,
            None => loop {
                match sink.waiting() {
                    None => break self.ch.fill(need).await,
                    // A read cut short by the timer loses nothing (see Channel::fill_now).
                    Some(wait) => match tokio::time::timeout(wait, self.ch.fill(need)).await {
                        Ok(read) => break read,
                        Err(_) => continue,
                    },
                }
            },
        };
        match read {
            Ok(0) => Err(self.lose("server closed the connection unexpectedly".into(), None)),
            Ok(_) => Ok(()),
            Err(e) => Err(self.lose(crate::conn::describe_io(&e), None)),
        }
    }

    /// The session ends with this FATAL/PANIC error.
    fn ended_by_server(&mut self, fields: Fields) -> WireError {
        let e = fields.into_error();
        let reason = format!(
            "the server ended the session: {}: {} (SQLSTATE {})",
            e.severity, e.message, e.sqlstate
        );
        self.lose(reason, Some(e))
    }

    fn record_parameter(&mut self, body: &ParameterStatusBody) {
        if let (Ok(name), Ok(value)) = (body.name(), body.value()) {
            self.params.insert(name.to_owned(), value.to_owned());
        }
    }

    /// Sends the COPY data (or the refusal) and CopyDone.
    async fn send_copy(&mut self, source: CopyIn) -> Result<(), WireError> {
        self.in_copy_in = true;
        let result = self.send_copy_data(source).await;
        // Cleared only when the end of the COPY went out; see finish_abandoned.
        if result.is_ok() {
            self.in_copy_in = false;
        }
        result
    }

    async fn send_copy_data(&mut self, source: CopyIn) -> Result<(), WireError> {
        let fail = |message: &str, buf: &mut bytes::BytesMut| {
            // CopyFail's message is a C string.
            let message = message.replace('\0', " ");
            let _ = frontend::copy_fail(&message, buf);
        };
        match source {
            CopyIn::Refuse(message) => fail(&message, &mut self.ch.wbuf),
            CopyIn::Data(data) => {
                for chunk in data.chunks(COPY_CHUNK) {
                    self.copy_chunk(chunk).await?;
                }
                frontend::copy_done(&mut self.ch.wbuf);
            }
            CopyIn::Reader(mut reader) => {
                let mut buf = vec![0u8; COPY_CHUNK];
                loop {
                    match reader.read(&mut buf).await {
                        Ok(0) => {
                            frontend::copy_done(&mut self.ch.wbuf);
                            break;
                        }
                        Ok(n) => self.copy_chunk(&buf[..n]).await?,
                        Err(e) => {
                            fail(
                                &format!("reading the COPY data failed: {e}"),
                                &mut self.ch.wbuf,
                            );
                            break;
                        }
                    }
                }
            }
        }
        self.flush().await
    }

    async fn copy_chunk(&mut self, chunk: &[u8]) -> Result<(), WireError> {
        match frontend::CopyData::new(chunk) {
            Ok(data) => data.write(&mut self.ch.wbuf),
            Err(e) => return Err(WireError::Refused(format!("COPY data: {e}"))),
        }
        if self.ch.wbuf.len() >= 4 * COPY_CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    /// pgdeck reads every value as UTF-8. Should a statement change `client_encoding`, it is set
    /// back at once (outside a failed transaction, where SET cannot run) and the sink is told.
    pub(super) async fn keep_utf8<S: QuerySink + ?Sized>(
        &mut self,
        sink: &mut S,
    ) -> Result<(), WireError> {
        let encoding = self.parameter("client_encoding").unwrap_or("UTF8");
        if encoding.eq_ignore_ascii_case("UTF8") || self.tx == TxStatus::Failed {
            return Ok(());
        }
        let was = encoding.to_owned();
        self.send_query("SET client_encoding TO 'UTF8'").await?;
        let mut errors = FirstValue::default();
        self.read_cycle(&mut errors).await?;
        sink.notice(Notice {
            severity: "WARNING".into(),
            sqlstate: "01000".into(),
            message: match errors.error {
                None => format!(
                    "pgdeck reads results as UTF-8: client_encoding was set back from {was} to UTF8"
                ),
                Some(e) => format!(
                    "pgdeck reads results as UTF-8, but client_encoding is {was} and could not \
                     be set back: {}",
                    e.message
                ),
            },
            detail: None,
            hint: None,
            context: None,
            position: None,
        });
        Ok(())
    }

    /// Handles what arrived while no statement ran (see [`WireConn::check_alive`]).
    pub(super) fn idle_messages(&mut self) -> Result<(), WireError> {
        loop {
            match self.ch.complete_frame() {
                Ok(Some(_)) => {}
                Ok(None) => return Ok(()),
                Err(e) => return Err(self.protocol_error(e)),
            }
            let message = match Message::parse(&mut self.ch.rbuf) {
                Ok(Some(m)) => m,
                Ok(None) => return Ok(()),
                Err(e) => return Err(self.protocol_error(format!("bad message: {e}"))),
            };
            match message {
                Message::NoticeResponse(body) => match Fields::parse(body.fields()) {
                    Ok(f) => self.pending.push(f.into_notice()),
                    Err(e) => return Err(self.protocol_error(e)),
                },
                Message::ErrorResponse(body) => match Fields::parse(body.fields()) {
                    Ok(f) if f.is_fatal() => return Err(self.ended_by_server(f)),
                    Ok(f) => {
                        return Err(self.protocol_error(format!(
                            "an error while idle: {}",
                            f.into_error().message
                        )));
                    }
                    Err(e) => return Err(self.protocol_error(e)),
                },
                Message::ParameterStatus(body) => self.record_parameter(&body),
                Message::NotificationResponse(body) => {
                    if let Some(n) = notification(&body) {
                        tracing::debug!("notification on channel {:?} ignored", n.channel);
                    }
                }
                _ => {
                    return Err(self.protocol_error(
                        "an unexpected message while the session was idle".into(),
                    ));
                }
            }
        }
    }
}

fn copy_format(code: u8) -> CopyFormat {
    if code == 1 {
        CopyFormat::Binary
    } else {
        CopyFormat::Text
    }
}

fn notification(body: &NotificationResponseBody) -> Option<Notification> {
    Some(Notification {
        process_id: body.process_id(),
        channel: body.channel().ok()?.to_owned(),
        payload: body.message().ok()?.to_owned(),
    })
}
