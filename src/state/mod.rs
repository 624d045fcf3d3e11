//! What pgdeck keeps on disk between runs, under the state directory: the editor's buffers (autosave)
//! and the history of executed statements. Plain files, written so that a crash or `kill -9` at any
//! moment leaves them readable. No database, no terminal.

pub mod autosave;
pub mod history;

use std::io::Write;
use std::path::Path;

/// Open options that create files readable and writable by their owner only (0600).
pub fn private_file(opts: &mut std::fs::OpenOptions) -> &mut std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    opts.mode(0o600)
}

/// Write `data` to `path` atomically: a temporary file in the same directory, fsync'd, then renamed
/// over the old one. A crash leaves either the old or the new content, never a mix.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    {
        // owner-only, as psql keeps its history: buffers hold whatever SQL was typed, secrets included
        let mut f = private_file(
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true),
        )
        .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}
