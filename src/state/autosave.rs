//! Editor buffers saved to `<state>/buffers/`: `session.json` lists the buffers (name, file, cursor)
//! and each buffer's text is its own file. Saved every 2 s when something changed and on exit, so a
//! crash or a dropped SSH session loses at most 2 s of typing.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::write_atomic;

/// One saved buffer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedBuffer {
    pub name: String,
    pub text: String,
    pub cursor: (usize, usize),
}

#[derive(Debug, Serialize, Deserialize)]
struct SessionFile {
    current: usize,
    buffers: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    name: String,
    file: String,
    cursor: (usize, usize),
}

fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join("buffers")
}

/// Save all buffers and which one is current.
pub fn save(state_dir: &Path, buffers: &[SavedBuffer], current: usize) -> anyhow::Result<()> {
    let d = dir(state_dir);
    let mut entries = Vec::with_capacity(buffers.len());
    for (i, b) in buffers.iter().enumerate() {
        let file = format!("buffer-{i}.sql");
        write_atomic(&d.join(&file), b.text.as_bytes())
            .with_context(|| format!("saving {}", d.join(&file).display()))?;
        entries.push(Entry {
            name: b.name.clone(),
            file,
            cursor: b.cursor,
        });
    }
    let session = SessionFile {
        current,
        buffers: entries,
    };
    let json = serde_json::to_vec_pretty(&session)?;
    // The list is written last: it never names a buffer file that is not complete.
    write_atomic(&d.join("session.json"), &json)
        .with_context(|| format!("saving {}", d.join("session.json").display()))?;
    // Remove files of buffers closed since the last save.
    if let Ok(rd) = std::fs::read_dir(&d) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(n) = name
                .strip_prefix("buffer-")
                .and_then(|r| r.strip_suffix(".sql"))
                .and_then(|n| n.parse::<usize>().ok())
                && n >= buffers.len()
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    Ok(())
}

/// Load the saved buffers; `None` when nothing was saved. A damaged session file is an error (the
/// caller reports it and starts empty, leaving the files for the user to recover).
pub fn load(state_dir: &Path) -> anyhow::Result<Option<(Vec<SavedBuffer>, usize)>> {
    let d = dir(state_dir);
    let path = d.join("session.json");
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let session: SessionFile =
        serde_json::from_slice(&data).with_context(|| format!("{} is damaged", path.display()))?;
    let mut out = Vec::new();
    for e in session.buffers {
        // Only our own file names: a tampered session file cannot point elsewhere.
        if e.file.contains('/') || e.file.contains("..") {
            continue;
        }
        let text = std::fs::read_to_string(d.join(&e.file)).unwrap_or_default();
        out.push(SavedBuffer {
            name: e.name,
            text,
            cursor: e.cursor,
        });
    }
    if out.is_empty() {
        return Ok(None);
    }
    let current = session.current.min(out.len() - 1);
    Ok(Some((out, current)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("pgdeck-autosave-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn round_trip_and_closed_buffers_are_removed() {
        let d = tmp("rt");
        let bufs = vec![
            SavedBuffer {
                name: "q1".into(),
                text: "select 1;\n".into(),
                cursor: (0, 3),
            },
            SavedBuffer {
                name: "Ünïcode".into(),
                text: "select 'é'".into(),
                cursor: (0, 0),
            },
        ];
        save(&d, &bufs, 1).expect("save");
        assert_eq!(load(&d).expect("load"), Some((bufs.clone(), 1)));
        save(&d, &bufs[..1], 5).expect("save fewer");
        let (loaded, current) = load(&d).expect("load").expect("some");
        assert_eq!(loaded, bufs[..1].to_vec());
        assert_eq!(current, 0);
        assert!(!d.join("buffers/buffer-1.sql").exists());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn nothing_saved_is_none_and_damage_is_an_error() {
        let d = tmp("none");
        assert_eq!(load(&d).expect("load"), None);
        std::fs::create_dir_all(d.join("buffers")).expect("dir");
        std::fs::write(d.join("buffers/session.json"), "{not json").expect("write");
        let e = load(&d).expect_err("damaged");
        assert!(e.to_string().contains("damaged"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }
}
