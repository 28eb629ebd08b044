//! Helpers for the delivery-path tests (procmail, maildrop, Postfix, Dovecot):
//! mail homes with a Maildir and a trained database, message checks, and tiny
//! SMTP and IMAP clients over std::net.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common;

/// A file of the source tree.
pub fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Reads a file of the source tree (a contrib/ recipe).
pub fn read_repo(rel: &str) -> String {
    std::fs::read_to_string(repo(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The first of `candidates` that fumi, with the database in `db`, gives
/// `verdict` (`spam` or `clean`). The delivery tests check where a message
/// lands against fumi's own verdict; accuracy is measured elsewhere.
pub fn pick(db: &Path, candidates: &[PathBuf], verdict: &str) -> PathBuf {
    let out = common::fumi()
        .arg("--homedir")
        .arg(db)
        .arg("--scan")
        .args(candidates)
        .output()
        .expect("fumi --scan");
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines() {
        let f: Vec<&str> = line.splitn(3, '\t').collect();
        if f.len() == 3 && f[1] == verdict {
            return PathBuf::from(f[2]);
        }
    }
    panic!("no message with verdict {verdict} among the candidates:\n{text}");
}

/// A spam and a ham that the trained database classifies as such, with
/// the trained home: (home, spam message, ham message).
pub fn trained_pair() -> (tempfile::TempDir, Vec<u8>, Vec<u8>) {
    let (db, spam, ham) = common::trained_home();
    let s = pick(db.path(), &spam, "spam");
    let h = pick(db.path(), &ham, "clean");
    let s = std::fs::read(&s).expect("read spam");
    let h = std::fs::read(&h).expect("read ham");
    (db, s, h)
}

/// Creates a user's home in `dir`: `Maildir/{cur,new,tmp}`, `bin/fumi` (a
/// link to the binary under test, found through procmail's default PATH)
/// and, when `db` is given, `.fumi/` with a copy of that trained database.
pub fn mail_home(dir: &Path, db: Option<&Path>) -> PathBuf {
    for sub in ["Maildir/cur", "Maildir/new", "Maildir/tmp", "bin"] {
        std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
    }
    let link = dir.join("bin/fumi");
    if !link.exists() {
        std::os::unix::fs::symlink(common::bin(), &link).expect("symlink fumi");
    }
    if let Some(db) = db {
        std::fs::create_dir_all(dir.join(".fumi")).expect("mkdir .fumi");
        std::fs::copy(db.join("data.mdb"), dir.join(".fumi/data.mdb")).expect("copy database");
    }
    dir.to_path_buf()
}

/// Overwrites the database in `home/.fumi` with garbage.
pub fn corrupt_db(home: &Path) {
    std::fs::create_dir_all(home.join(".fumi")).expect("mkdir");
    let junk: Vec<u8> = (0..65536u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(home.join(".fumi/data.mdb"), junk).expect("write");
    let _ = std::fs::remove_file(home.join(".fumi/lock.mdb"));
}

/// The messages in a Maildir folder (`new/` and `cur/`), sorted by name.
pub fn maildir(dir: &Path) -> Vec<Vec<u8>> {
    let mut names = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            for e in rd.flatten() {
                names.push(e.path());
            }
        }
    }
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read(p).expect("read delivered"))
        .collect()
}

/// Waits until `f` is true, at most `secs` seconds.
pub fn wait_until(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if f() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Without the mbox "From " line (which delivery agents strip when they
/// write to a Maildir).
pub fn without_from_line(msg: &[u8]) -> &[u8] {
    if msg.starts_with(b"From ") {
        msg.iter()
            .position(|&b| b == b'\n')
            .map_or(&msg[msg.len()..], |i| &msg[i + 1..])
    } else {
        msg
    }
}

/// Without the mbox "From " line, with LF line endings.
pub fn normalize(msg: &[u8]) -> Vec<u8> {
    without_from_line(msg)
        .iter()
        .copied()
        .filter(|&b| b != b'\r')
        .collect()
}

/// Header block and body of a normalized message.
pub fn split(msg: &[u8]) -> (String, Vec<u8>) {
    let m = normalize(msg);
    match m.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (
            String::from_utf8_lossy(&m[..i + 1]).into_owned(),
            m[i + 2..].to_vec(),
        ),
        None => (String::from_utf8_lossy(&m).into_owned(), Vec::new()),
    }
}

/// The header fields of a header block as (name, unfolded value).
pub fn fields(head: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = v.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((n, val)) = line.split_once(':') {
            v.push((n.to_string(), val.trim().to_string()));
        }
    }
    v
}

/// The values of the header `name` (case-insensitive).
pub fn header(msg: &[u8], name: &str) -> Vec<String> {
    let (head, _) = split(msg);
    fields(&head)
        .into_iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .collect()
}

/// Checks that `delivered` is `original` with fumi's two headers, the flag
/// being `flag`: the body is unchanged and every original header field is
/// still there, in order (delivery agents may add their own, like
/// Return-Path or Received).
pub fn assert_filtered(delivered: &[u8], original: &[u8], flag: &str) {
    let show = String::from_utf8_lossy(delivered);
    assert_eq!(header(delivered, "X-Spam-Flag"), [flag], "flag in:\n{show}");
    let p = header(delivered, "X-Spam-Probability");
    assert_eq!(p.len(), 1, "one X-Spam-Probability in:\n{show}");
    let ok = p[0].len() == 8
        && p[0].as_bytes()[1] == b'.'
        && p[0]
            .chars()
            .enumerate()
            .all(|(i, c)| i == 1 || c.is_ascii_digit())
        && p[0].parse::<f64>().is_ok_and(|v| (0.0..=1.0).contains(&v));
    assert!(ok, "X-Spam-Probability {:?} is not 0.dddddd", p[0]);
    let (dh, db) = split(delivered);
    let (oh, ob) = split(original);
    assert!(db == ob, "body changed:\n{show}");
    assert_subsequence(&fields(&dh), &fields(&oh), &show);
}

/// Checks that `delivered` is `original` without fumi's headers (the body
/// and the original fields unchanged).
pub fn assert_unfiltered(delivered: &[u8], original: &[u8]) {
    let show = String::from_utf8_lossy(delivered);
    assert!(
        header(delivered, "X-Spam-Flag").is_empty(),
        "unexpected flag:\n{show}"
    );
    assert!(
        header(delivered, "X-Spam-Probability").is_empty(),
        "unexpected probability:\n{show}"
    );
    let (dh, db) = split(delivered);
    let (oh, ob) = split(original);
    assert!(db == ob, "body changed:\n{show}");
    assert_subsequence(&fields(&dh), &fields(&oh), &show);
}

/// Every field of `want` is in `have`, in order; except those MTAs drop on
/// receipt (Postfix's message_drop_headers) and replace.
fn assert_subsequence(have: &[(String, String)], want: &[(String, String)], show: &str) {
    const DROPPED: [&str; 4] = ["return-path", "content-length", "bcc", "resent-bcc"];
    let mut it = have.iter();
    for f in want {
        if DROPPED.iter().any(|d| f.0.eq_ignore_ascii_case(d)) {
            continue;
        }
        assert!(
            it.any(|h| h == f),
            "header field {}: {} missing or out of order in:\n{show}",
            f.0,
            f.1
        );
    }
}

/// Is this process root? Real servers (Postfix, Dovecot with several
/// users) need it.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// Skips a server test when not root, except on CI.
pub fn require_root(what: &str) -> bool {
    if is_root() {
        return true;
    }
    if std::env::var_os("FUMI_REQUIRE_SERVERS").is_some() {
        panic!("{what} needs root (FUMI_REQUIRE_SERVERS is set)");
    }
    eprintln!("skipping: {what} needs root");
    false
}

/// uid and gid of a user in /etc/passwd.
pub fn user(name: &str) -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() > 3 && f[0] == name {
            return (f[2].parse().expect("uid"), f[3].parse().expect("gid"));
        }
    }
    panic!("no user {name}");
}

/// gid of a group in /etc/group.
pub fn group(name: &str) -> u32 {
    let groups = std::fs::read_to_string("/etc/group").expect("/etc/group");
    for line in groups.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() > 2 && f[0] == name {
            return f[2].parse().expect("gid");
        }
    }
    panic!("no group {name}");
}

/// chown -R (without following links).
pub fn chown_tree(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).expect("chown");
    if path.is_dir() && !path.is_symlink() {
        for e in std::fs::read_dir(path).expect("read_dir").flatten() {
            chown_tree(&e.path(), uid, gid);
        }
    }
}

/// Sets a file's mode.
pub fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Calls its closure when dropped: stops a server even when an assertion
/// fails.
pub struct Guard(Option<Box<dyn FnOnce()>>);

impl Guard {
    pub fn new(f: impl FnOnce() + 'static) -> Guard {
        Guard(Some(Box::new(f)))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

/// Waits until something listens on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, secs: u64) -> bool {
    wait_until(secs, || TcpStream::connect(("127.0.0.1", port)).is_ok())
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    s
}

/// Reads one SMTP/LMTP reply (all its lines); returns (code, text).
fn smtp_reply(r: &mut BufReader<TcpStream>) -> (u32, String) {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        let n = r.read_line(&mut line).expect("read reply");
        assert!(n > 0, "connection closed; so far: {text}");
        text.push_str(&line);
        if line.len() < 4 || line.as_bytes()[3] != b'-' {
            let code = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
            return (code, text);
        }
    }
}

fn smtp_cmd(r: &mut BufReader<TcpStream>, cmd: &str, want: u32) -> String {
    r.get_mut()
        .write_all(format!("{cmd}\r\n").as_bytes())
        .expect("write");
    let (code, text) = smtp_reply(r);
    assert_eq!(code, want, "{cmd} -> {text}");
    text
}

/// The message with CRLF line endings, dot-stuffed, without its mbox
/// "From " line, followed by the end-of-data line.
fn smtp_data(msg: &[u8]) -> Vec<u8> {
    let m = normalize(msg);
    let mut out = Vec::with_capacity(m.len() + m.len() / 20 + 8);
    for line in m.split_inclusive(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        if line.starts_with(b".") {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// Sends one message over SMTP (`lmtp`: LMTP) to 127.0.0.1:`port`; returns
/// the final reply.
pub fn send_mail(port: u16, lmtp: bool, from: &str, to: &str, msg: &[u8]) -> String {
    let mut r = BufReader::new(connect(port));
    let (code, text) = smtp_reply(&mut r);
    assert_eq!(code, 220, "greeting: {text}");
    smtp_cmd(
        &mut r,
        if lmtp {
            "LHLO localhost"
        } else {
            "EHLO localhost"
        },
        250,
    );
    smtp_cmd(&mut r, &format!("MAIL FROM:<{from}>"), 250);
    smtp_cmd(&mut r, &format!("RCPT TO:<{to}>"), 250);
    smtp_cmd(&mut r, "DATA", 354);
    r.get_mut().write_all(&smtp_data(msg)).expect("write data");
    let (code, text) = smtp_reply(&mut r);
    assert_eq!(code, 250, "end of data: {text}");
    smtp_cmd(&mut r, "QUIT", 221);
    text
}

/// A minimal IMAP client: tagged commands, literals for APPEND.
pub struct Imap {
    r: BufReader<TcpStream>,
    tag: u32,
}

impl Imap {
    pub fn connect(port: u16) -> Imap {
        let mut r = BufReader::new(connect(port));
        let mut greeting = String::new();
        r.read_line(&mut greeting).expect("greeting");
        assert!(greeting.starts_with("* OK"), "greeting: {greeting}");
        Imap { r, tag: 0 }
    }

    fn read_until_tagged(&mut self, tag: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = self.r.read_line(&mut line).expect("read");
            assert!(n > 0, "connection closed after {lines:?}");
            // A literal in a response: read its bytes and the rest of the line.
            if let Some(len) = line
                .trim_end()
                .strip_suffix('}')
                .and_then(|l| l.rsplit_once('{'))
                .and_then(|(_, n)| n.parse::<usize>().ok())
            {
                let mut buf = vec![0; len];
                self.r.read_exact(&mut buf).expect("literal");
                line.push_str(&String::from_utf8_lossy(&buf));
                let mut rest = String::new();
                self.r.read_line(&mut rest).expect("read");
                line.push_str(&rest);
            }
            let done = line.starts_with(&format!("{tag} "));
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// Runs a command; asserts that it ends in OK and returns the response
    /// lines.
    pub fn cmd(&mut self, cmd: &str) -> Vec<String> {
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        self.r
            .get_mut()
            .write_all(format!("{tag} {cmd}\r\n").as_bytes())
            .expect("write");
        let lines = self.read_until_tagged(&tag);
        let last = lines.last().map(String::as_str).unwrap_or("");
        assert!(last.starts_with(&format!("{tag} OK")), "{cmd} -> {lines:?}");
        lines
    }

    /// APPENDs a message (CRLF line endings) to a mailbox.
    pub fn append(&mut self, mailbox: &str, msg: &[u8]) {
        let m = normalize(msg);
        let mut data = Vec::with_capacity(m.len() + m.len() / 20);
        for &b in &m {
            if b == b'\n' {
                data.push(b'\r');
            }
            data.push(b);
        }
        self.tag += 1;
        let tag = format!("a{}", self.tag);
        self.r
            .get_mut()
            .write_all(format!("{tag} APPEND {mailbox} {{{}}}\r\n", data.len()).as_bytes())
            .expect("write");
        let mut line = String::new();
        self.r.read_line(&mut line).expect("continuation");
        assert!(line.starts_with('+'), "APPEND -> {line}");
        self.r.get_mut().write_all(&data).expect("write literal");
        self.r.get_mut().write_all(b"\r\n").expect("write");
        let lines = self.read_until_tagged(&tag);
        let last = lines.last().map(String::as_str).unwrap_or("");
        assert!(
            last.starts_with(&format!("{tag} OK")),
            "APPEND -> {lines:?}"
        );
    }
}

/// `fumi --show-db-status` as a map.
pub fn db_status(home: &Path) -> std::collections::BTreeMap<String, String> {
    let out = common::fumi()
        .arg("--homedir")
        .arg(home)
        .arg("--show-db-status")
        .output()
        .expect("fumi --show-db-status");
    assert!(
        out.status.success(),
        "--show-db-status: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// spam_messages and clean_messages of a database.
pub fn counts(home: &Path) -> (u64, u64) {
    let s = db_status(home);
    let get = |k: &str| {
        s.get(k)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{k} in {s:?}"))
    };
    (get("spam_messages"), get("clean_messages"))
}

/// Every file under `dir`, for failure messages.
pub fn tree(dir: &Path) -> String {
    let mut out = String::new();
    fn walk(d: &Path, out: &mut String) {
        if let Ok(rd) = std::fs::read_dir(d) {
            let mut v: Vec<_> = rd.flatten().map(|e| e.path()).collect();
            v.sort();
            for p in v {
                out.push_str(&format!("{}\n", p.display()));
                if p.is_dir() && !p.is_symlink() {
                    walk(&p, out);
                }
            }
        }
    }
    walk(dir, &mut out);
    out
}
