//! Run the real `pgdeck` binary in a pseudo-terminal and read its screen through a terminal emulator
//! (vt100), as a user would see it. Shared by the integration tests and the startup benchmark.

#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A child process on a pty, with the emulated screen it has drawn so far.
pub struct PtySession {
    writer: Option<File>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    reader_thread: Option<std::thread::JoinHandle<()>>,
    child: Child,
    parser: vt100::Parser,
    rx: mpsc::Receiver<Vec<u8>>,
    /// Everything the program wrote, raw.
    pub raw: Vec<u8>,
    started: Instant,
}

impl PtySession {
    /// Start `bin args` on a `cols`×`rows` pty with extra environment variables.
    pub fn spawn(
        bin: &str,
        args: &[&str],
        env: &[(&str, &str)],
        cols: u16,
        rows: u16,
    ) -> PtySession {
        let (master, slave) = open_pty(cols, rows);
        let slave_file = File::from(slave);
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR")
            .stdin(Stdio::from(slave_file.try_clone().expect("dup slave")))
            .stdout(Stdio::from(slave_file.try_clone().expect("dup slave")))
            .stderr(Stdio::from(slave_file));
        for (k, v) in env {
            cmd.env(k, v);
        }
        // Never touch the real state directory (autosaved buffers, history) from a test: keep it
        // next to the test's config directory unless the test chose one.
        if !env.iter().any(|(k, _)| *k == "PGDECK_STATE_DIR")
            && let Some((_, cfg)) = env.iter().find(|(k, _)| *k == "PGDECK_CONFIG_DIR")
        {
            cmd.env("PGDECK_STATE_DIR", format!("{cfg}/state"));
        }
        // SAFETY: only async-signal-safe calls between fork and exec: make the pty the controlling
        // terminal of a new session, as a terminal emulator does.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let started = Instant::now();
        let child = cmd.spawn().expect("spawn pgdeck");
        let master_file = File::from(master);
        let mut reader = master_file.try_clone().expect("dup master");
        let mut answerer = master_file.try_clone().expect("dup master");
        let (tx, rx) = mpsc::channel();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop2 = stop.clone();
        let reader_thread = std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            loop {
                // Wake up now and then to see whether the session wants its fds closed (hangup).
                let mut pfd = libc::pollfd {
                    fd: reader.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd for the duration of the call.
                let n = unsafe { libc::poll(&mut pfd, 1, 50) };
                if stop2.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                if n <= 0 {
                    continue;
                }
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let chunk = buf[..n].to_vec();
                        // Answer the queries a real terminal answers, or crossterm waits for its timeout.
                        if contains(&chunk, b"\x1b[c") {
                            let _ = answerer.write_all(b"\x1b[?62;22c");
                        }
                        if contains(&chunk, b"\x1b[6n") {
                            let _ = answerer.write_all(b"\x1b[1;1R");
                        }
                        if tx.send(chunk).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        PtySession {
            writer: Some(master_file),
            stop,
            reader_thread: Some(reader_thread),
            child,
            parser: vt100::Parser::new(nz(rows), nz(cols), 0),
            rx,
            raw: Vec::new(),
            started,
        }
    }

    fn pump(&mut self, wait: Duration) -> bool {
        match self.rx.recv_timeout(wait) {
            Ok(chunk) => {
                self.parser.process(&chunk);
                self.raw.extend_from_slice(&chunk);
                while let Ok(more) = self.rx.try_recv() {
                    self.parser.process(&more);
                    self.raw.extend_from_slice(&more);
                }
                true
            }
            Err(_) => false,
        }
    }

    /// The screen as text, one line per row.
    pub fn screen(&self) -> String {
        self.parser.screen().contents()
    }

    /// Wait until `pred(screen)` holds; returns the time since spawn, or the last screen on timeout.
    pub fn wait_for(
        &mut self,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Result<Duration, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if pred(&self.screen()) {
                return Ok(self.started.elapsed());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(self.screen());
            }
            self.pump((deadline - now).min(Duration::from_millis(20)));
        }
    }

    /// Type bytes as the terminal would send them.
    pub fn send(&mut self, bytes: &[u8]) {
        self.writer
            .as_mut()
            .expect("the pty is open")
            .write_all(bytes)
            .expect("write to pty");
    }

    /// Change the window size (SIGWINCH reaches the child through the pty).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        let ws = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let fd = self.writer.as_ref().expect("the pty is open").as_raw_fd();
        // SAFETY: TIOCSWINSZ on our own pty master with a valid winsize.
        unsafe {
            libc::ioctl(fd, libc::TIOCSWINSZ, &ws);
        }
        self.parser.screen_mut().set_size(nz(rows), nz(cols));
    }

    /// Wait for the process to exit, reading its last output.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            self.pump(Duration::from_millis(10));
            if let Ok(Some(st)) = self.child.try_wait() {
                while self.pump(Duration::from_millis(20)) {}
                return Some(st);
            }
        }
        None
    }

    /// Close every handle on the pty master, as a terminal emulator or sshd does when the connection
    /// drops: the kernel hangs up the terminal (SIGHUP, then I/O errors) under the program.
    pub fn hangup(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.reader_thread.take() {
            let _ = t.join();
        }
        self.writer = None;
    }

    /// Wait for the process to exit without reading its output (after a hangup).
    pub fn wait_exit_quietly(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// The child's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for PtySession {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A pty pair whose fds are close-on-exec from the moment they exist. (`openpty` makes inheritable
/// fds: in the window before they are marked, a process another test spawns inherits the master and
/// keeps it open, and closing ours then never hangs the terminal up.)
fn open_pty(cols: u16, rows: u16) -> (OwnedFd, OwnedFd) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain libc calls on fds this function owns; each result is checked.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(
            master >= 0,
            "posix_openpt: {}",
            std::io::Error::last_os_error()
        );
        let master = OwnedFd::from_raw_fd(master);
        assert_eq!(libc::grantpt(master.as_raw_fd()), 0, "grantpt");
        assert_eq!(libc::unlockpt(master.as_raw_fd()), 0, "unlockpt");
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(
            libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len()),
            0,
            "ptsname_r"
        );
        let slave = libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        assert!(
            slave >= 0,
            "open the pty slave: {}",
            std::io::Error::last_os_error()
        );
        let slave = OwnedFd::from_raw_fd(slave);
        let ws = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        assert_eq!(
            libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws),
            0,
            "TIOCSWINSZ"
        );
        (master, slave)
    }
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n.max(1)).unwrap_or(std::num::NonZeroU16::MIN)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
