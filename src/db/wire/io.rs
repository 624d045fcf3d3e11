//! The byte stream under a wire session and its buffers: one enum over TCP, Unix socket and TLS
//! over TCP, a read buffer that messages are parsed from in place, and a write buffer flushed per
//! request. It owns framing only (where a message starts and ends, with length checks) and must
//! not interpret message contents; that is the job of `startup` and `query`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use futures_util::FutureExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio_rustls::client::TlsStream;

/// Bytes asked of the socket per read: large enough that a million-row result costs few reads.
const READ_CHUNK: usize = 256 * 1024;

/// The largest message accepted. The length field is an Int32; PostgreSQL itself never sends a
/// message over 1 GB plus headers, but a DataRow of several large values can exceed that, so only
/// the protocol's own limit applies.
const MAX_MESSAGE: usize = i32::MAX as usize;

/// A connection's transport.
pub(super) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// After the stream was handed to the Terminate task on drop: reads see EOF, writes fail.
    Closed,
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Closed => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Closed => Poll::Ready(Err(closed())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Closed => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Closed => Poll::Ready(Ok(())),
        }
    }
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the connection is closed")
}

/// Where the next complete message sits in the read buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Frame {
    /// The message type byte.
    pub tag: u8,
    /// Bytes of the whole message, type byte and length field included.
    pub total: usize,
}

impl Frame {
    /// The body (after type byte and length) of this frame at the start of `buf`.
    pub fn body(self, buf: &[u8]) -> &[u8] {
        buf.get(5..self.total).unwrap_or_default()
    }
}

/// Reads the header at the start of `buf`: `Ok(None)` when fewer than 5 bytes are there, an error
/// when the length field is impossible. The message may still be incomplete (`total > len`).
pub(super) fn frame_header(buf: &[u8]) -> Result<Option<Frame>, String> {
    let [tag, a, b, c, d, ..] = *buf else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([a, b, c, d]) as usize;
    if !(4..=MAX_MESSAGE).contains(&len) {
        return Err(format!(
            "invalid length {len} in a message of type {:?}",
            tag as char
        ));
    }
    Ok(Some(Frame {
        tag,
        total: len + 1,
    }))
}

/// The stream with its buffers.
pub(super) struct Channel {
    pub stream: Stream,
    /// Received bytes not yet consumed; messages are parsed from its front.
    pub rbuf: BytesMut,
    /// Encoded messages waiting for [`Channel::send`].
    pub wbuf: BytesMut,
    /// A send was dropped midway: part of a message may be on the wire, so the stream is out of
    /// step and no further message may follow.
    torn: bool,
}

impl Channel {
    /// A channel over `stream` with empty buffers.
    pub fn new(stream: Stream) -> Self {
        Channel {
            stream,
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            wbuf: BytesMut::with_capacity(1024),
            torn: false,
        }
    }

    /// Write out everything in the write buffer.
    pub async fn send(&mut self) -> io::Result<()> {
        if self.torn {
            return Err(io::Error::other(
                "an earlier write was interrupted halfway, so the session is out of step",
            ));
        }
        self.torn = true;
        let result = async {
            self.stream.write_all(&self.wbuf).await?;
            self.stream.flush().await
        }
        .await;
        self.torn = false;
        self.wbuf.clear();
        result
    }

    /// The next complete message at the front of the read buffer, if one is there.
    pub fn complete_frame(&self) -> Result<Option<Frame>, String> {
        Ok(frame_header(&self.rbuf)?.filter(|f| self.rbuf.len() >= f.total))
    }

    /// Wait for more bytes; `Ok(0)` is end of stream. `need` is how many more bytes the message
    /// being assembled needs at least, so that a large value is read in few steps.
    pub async fn fill(&mut self, need: usize) -> io::Result<usize> {
        self.rbuf.reserve(need.max(READ_CHUNK));
        self.stream.read_buf(&mut self.rbuf).await
    }

    /// Take whatever bytes are available right now without waiting: `None` when the socket has
    /// nothing (the read would block), else as [`Channel::fill`].
    pub fn fill_now(&mut self, need: usize) -> Option<io::Result<usize>> {
        self.rbuf.reserve(need.max(READ_CHUNK));
        // A read that is not ready is dropped unfinished; tokio's reads (and rustls's) keep no
        // partial state in the future, so nothing is lost.
        self.stream.read_buf(&mut self.rbuf).now_or_never()
    }

    /// Drop the message at the front of the read buffer.
    pub fn consume(&mut self, frame: Frame) {
        self.rbuf.advance(frame.total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn headers() {
        assert_eq!(frame_header(b"Z\0\0\0").unwrap(), None);
        assert_eq!(
            frame_header(b"Z\0\0\0\x05I").unwrap(),
            Some(Frame {
                tag: b'Z',
                total: 6
            })
        );
        assert!(frame_header(b"Z\0\0\0\x03").is_err());
        assert!(frame_header(b"D\xff\xff\xff\xff").is_err());
        let f = frame_header(b"C\0\0\0\x08abc\0rest").unwrap().unwrap();
        assert_eq!(f.body(b"C\0\0\0\x08abc\0rest"), b"abc\0");
    }

    proptest! {
        #[test]
        fn header_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
            if let Ok(Some(f)) = frame_header(&bytes) {
                prop_assert!(f.total >= 5);
                let _ = f.body(&bytes);
            }
        }
    }
}
