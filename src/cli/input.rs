//! Where messages come from: standard input, files, Maildirs (`cur/`, `new/`;
//! `tmp/` is skipped), MH folders, directory trees and mbox files, in a
//! deterministic order and one message at a time.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One input as given or found in a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
    /// A file split into messages at `From ` lines.
    Mbox(PathBuf),
}

/// A message read from a source.
#[derive(Debug)]
pub struct Message {
    /// `-` for standard input, the path, or `PATH:N` for the N-th message
    /// of an mbox.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Expands command-line arguments into sources. Directories are walked;
/// errors (unreadable directories) are returned beside the sources.
pub fn expand(args: &[PathBuf], mbox: bool) -> (Vec<Source>, Vec<String>) {
    expand_known(args, &[], mbox)
}

/// [`expand`] where `dirs[i]`, when given, tells whether `args[i]` is a
/// directory (checked by the caller, possibly on several threads).
pub fn expand_known(args: &[PathBuf], dirs: &[bool], mbox: bool) -> (Vec<Source>, Vec<String>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    if args.is_empty() {
        sources.push(Source::Stdin);
    }
    for (i, a) in args.iter().enumerate() {
        if a.as_os_str() == "-" {
            sources.push(Source::Stdin);
        } else if dirs.get(i).copied().unwrap_or_else(|| a.is_dir()) {
            walk(a, mbox, &mut sources, &mut errors);
        } else if mbox {
            sources.push(Source::Mbox(a.clone()));
        } else {
            sources.push(Source::File(a.clone()));
        }
    }
    (sources, errors)
}

/// Order within a directory: numeric names (MH) by number, then the rest by
/// name.
fn sort_key(p: &Path) -> (u8, u64, Vec<u8>) {
    let name = p
        .file_name()
        .map(|n| n.as_encoded_bytes().to_vec())
        .unwrap_or_default();
    match std::str::from_utf8(&name)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        Some(n) => (0, n, name),
        None => (1, 0, name),
    }
}

fn walk(dir: &Path, mbox: bool, out: &mut Vec<Source>, errors: &mut Vec<String>) {
    let is_maildir = dir.join("cur").is_dir() || dir.join("new").is_dir();
    if is_maildir {
        for sub in ["cur", "new"] {
            let d = dir.join(sub);
            if d.is_dir() {
                match list(&d) {
                    Ok(entries) => out.extend(
                        entries
                            .into_iter()
                            .filter(|p| p.is_file())
                            .map(Source::File),
                    ),
                    Err(e) => errors.push(format!("{}: {e}", d.display())),
                }
            }
        }
        return;
    }
    match list(dir) {
        Ok(entries) => {
            for p in entries {
                if p.is_dir() {
                    if p.file_name().is_some_and(|n| n == "tmp") && dir.join("cur").exists() {
                        continue;
                    }
                    walk(&p, mbox, out, errors);
                } else if p.is_file() {
                    out.push(if mbox {
                        Source::Mbox(p)
                    } else {
                        Source::File(p)
                    });
                }
            }
        }
        Err(e) => errors.push(format!("{}: {e}", dir.display())),
    }
}

/// Entries of a directory, without dot files, sorted.
fn list(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.as_encoded_bytes().starts_with(b"."))
        })
        .collect();
    v.sort_by_cached_key(|p| sort_key(p));
    Ok(v)
}

/// Reads standard input, at most `limit` bytes; returns the bytes and
/// whether input remains.
///
/// Reads file descriptor 0 directly, never more than asked: whatever
/// follows stays in the kernel for whoever copies the rest (the standard
/// input handle, or the fatal-signal handler of [`super::fatal`]).
pub fn read_stdin_head(limit: usize) -> std::io::Result<(Vec<u8>, bool)> {
    use std::os::fd::FromRawFd;
    // SAFETY: fd 0 is open for the life of the process; ManuallyDrop keeps
    // this File from closing it.
    let stdin = std::mem::ManuallyDrop::new(unsafe { fs::File::from_raw_fd(0) });
    let mut buf = Vec::new();
    (&*stdin).take(limit as u64).read_to_end(&mut buf)?;
    if buf.len() < limit {
        return Ok((buf, false));
    }
    let mut probe = [0u8; 1];
    let n = loop {
        match (&*stdin).read(&mut probe) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => break r?,
        }
    };
    buf.extend_from_slice(&probe[..n]);
    Ok((buf, n > 0))
}

/// Calls `f` for each message of a source; returns an error string when the
/// source cannot be read.
pub fn read_source(src: &Source, f: &mut dyn FnMut(Message)) -> Result<(), String> {
    match src {
        Source::Stdin => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|e| format!("standard input: {e}"))?;
            f(Message {
                name: "-".into(),
                bytes,
            });
        }
        Source::File(p) => {
            let bytes = read_file(p).map_err(|e| format!("{}: {e}", p.display()))?;
            f(Message {
                name: p.display().to_string(),
                bytes,
            });
        }
        Source::Mbox(p) => {
            let bytes = fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            for (i, m) in split_mbox(&bytes).into_iter().enumerate() {
                f(Message {
                    name: format!("{}:{}", p.display(), i + 1),
                    bytes: m.to_vec(),
                });
            }
        }
    }
    Ok(())
}

/// A whole file, read without asking its size first (`fs::read` does, with
/// a stat that costs as much as a read for a message of a few kilobytes).
fn read_file(p: &Path) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(8 << 10);
    // `take` hides the file's own read_to_end, which stats it.
    fs::File::open(p)?.take(u64::MAX).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Splits an mbox at lines starting with `From ` that begin the file or
/// follow an empty line. Text before the first such line is a message too if
/// it is not empty.
pub fn split_mbox(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    let mut prev_blank = true;
    while i < data.len() {
        let end = memchr::memchr(b'\n', &data[i..]).map_or(data.len(), |e| i + e + 1);
        let line = &data[i..end];
        if prev_blank && line.starts_with(b"From ") {
            starts.push(i);
        }
        prev_blank = line == b"\n" || line == b"\r\n";
        i = end;
    }
    let mut out = Vec::new();
    if starts.first().is_none_or(|&s| s > 0) {
        let end = starts.first().copied().unwrap_or(data.len());
        if data[..end].iter().any(|b| !b.is_ascii_whitespace()) {
            out.push(&data[..end]);
        }
    }
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(data.len());
        out.push(&data[s..e]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbox_splitting() {
        let m = b"From a Mon\nSubject: 1\n\nbody\nFrom inside body is not a split\n\nFrom b Tue\nSubject: 2\n\nx\n";
        let parts = split_mbox(m);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].starts_with(b"From a") && parts[0].ends_with(b"split\n\n"));
        assert!(parts[1].starts_with(b"From b"));
        assert!(split_mbox(b"").is_empty());
    }

    #[test]
    fn maildir_mh_and_trees() {
        let d = tempfile::tempdir().expect("tempdir");
        let md = d.path().join("Maildir");
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(md.join(sub)).expect("mkdir");
        }
        fs::write(md.join("cur/b"), "x").expect("w");
        fs::write(md.join("cur/a"), "x").expect("w");
        fs::write(md.join("new/c"), "x").expect("w");
        fs::write(md.join("tmp/partial"), "x").expect("w");
        let mh = d.path().join("mh");
        fs::create_dir_all(&mh).expect("mkdir");
        for n in ["10", "9", ".mh_sequences"] {
            fs::write(mh.join(n), "x").expect("w");
        }
        let (s, e) = expand(&[md.clone(), mh.clone()], false);
        assert!(e.is_empty());
        let names: Vec<String> = s
            .iter()
            .map(|s| match s {
                Source::File(p) => p
                    .strip_prefix(d.path())
                    .expect("prefix")
                    .display()
                    .to_string(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(
            names,
            [
                "Maildir/cur/a",
                "Maildir/cur/b",
                "Maildir/new/c",
                "mh/9",
                "mh/10"
            ]
        );
    }
}
