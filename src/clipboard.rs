//! Copying text to the user's clipboard: OSC 52 first (it works over SSH and in tmux with
//! `set-clipboard on`, and needs no library), and a local clipboard tool as well when one is on the
//! PATH and a graphical session is there (wl-copy, xclip, xsel, pbcopy). Errors are ignored: a copy
//! that cannot happen must not disturb the UI.

use std::io::Write;
use std::process::{Command, Stdio};

/// Larger copies are not sent through OSC 52: terminals drop or truncate big sequences (xterm and
/// tmux cap them) and writing tens of megabytes of base64 to an SSH session stalls it.
pub const OSC52_MAX_BYTES: usize = 1 << 20;

/// Copy `text`.
pub fn copy(text: &str) {
    if text.len() <= OSC52_MAX_BYTES {
        let mut out = std::io::stdout();
        let _ = crossterm::execute!(
            out,
            crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
        );
        let _ = out.flush();
    }
    local_copy(text);
}

fn local_copy(text: &str) {
    let wayland = std::env::var_os("WAYLAND_DISPLAY").is_some();
    let x11 = std::env::var_os("DISPLAY").is_some();
    let candidates: &[(&str, &[&str], bool)] = &[
        ("wl-copy", &[], wayland),
        ("xclip", &["-selection", "clipboard"], x11),
        ("xsel", &["--clipboard", "--input"], x11),
        ("pbcopy", &[], cfg!(target_os = "macos")),
    ];
    for (prog, args, usable) in candidates {
        if !usable {
            continue;
        }
        let Ok(mut child) = Command::new(prog)
            .args(*args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            continue;
        };
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(text.as_bytes());
        }
        // The tool forks into the background to own the selection; don't wait for it.
        std::thread::spawn(move || {
            let _ = child.wait();
        });
        return;
    }
}
