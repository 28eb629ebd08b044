//! The shared Redis store, against a real redis-server started here on a
//! loopback port with its own directory: two "hosts" sharing one database,
//! concurrent writers, LMDB and Redis scoring alike, copies both ways,
//! expiry, TLS, and what happens when Redis goes away.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{corpus, files, free_port, fumi, require_program, run_with_input};

/// A redis-server of our own.
struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts redis-server on a free loopback port; `None` when it is not
    /// installed (outside CI).
    fn start() -> Option<Server> {
        Self::start_with(&[], true)
    }

    /// With `plain_port` false, the plain port is closed and `{port}` in
    /// `extra` is replaced by the port (for a TLS port).
    fn start_with(extra: &[&str], plain_port: bool) -> Option<Server> {
        if !require_program("redis-server") {
            return None;
        }
        Some(Self::launch(
            "Ready to accept connections",
            |dir, port, log| {
                let mut cmd = Command::new("redis-server");
                cmd.arg("--bind")
                    .arg("127.0.0.1")
                    .arg("--save")
                    .arg("")
                    .arg("--appendonly")
                    .arg("no")
                    .arg("--dir")
                    .arg(dir)
                    .arg("--logfile")
                    .arg(log);
                cmd.arg("--port")
                    .arg(if plain_port { port } else { 0 }.to_string());
                for a in extra {
                    cmd.arg(a.replace("{port}", &port.to_string()));
                }
                cmd
            },
        ))
    }

    /// Runs the command `make(dir, port, log)` gives for a fresh directory
    /// and a free port until the server starts (its log says `ready`).
    fn launch(ready: &str, make: impl Fn(&Path, u16, &Path) -> Command) -> Server {
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("tempdir");
            let port = free_port();
            let log = dir.path().join("redis.log");
            let child = make(dir.path(), port, &log)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start redis-server");
            let mut s = Server {
                child,
                port,
                _dir: dir,
            };
            if s.ready(&log, ready) {
                return s;
            }
            s.stop();
        }
        panic!("redis-server did not start");
    }

    /// Waits until this server's own log says `line`. A server that lost
    /// its port to another test exits instead (false, and the caller tries
    /// another port): connecting to the port cannot tell the two apart,
    /// since the other test's server answers there.
    fn ready(&mut self, log: &Path, line: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return false;
            }
            let said = std::fs::read_to_string(log).is_ok_and(|l| l.contains(line));
            if said && TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// One command over RESP; the reply as a tree.
    fn cmd(&self, args: &[&[u8]]) -> Reply {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut req = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a);
            req.extend_from_slice(b"\r\n");
        }
        s.write_all(&req).expect("send");
        read_reply(&mut BufReader::new(s))
    }

    /// A hash as a map.
    fn hash(&self, key: &str) -> BTreeMap<Vec<u8>, Vec<u8>> {
        let Reply::Array(items) = self.cmd(&[b"HGETALL", key.as_bytes()]) else {
            panic!("HGETALL");
        };
        let mut m = BTreeMap::new();
        let mut it = items.into_iter();
        while let (Some(Reply::Bulk(Some(k))), Some(Reply::Bulk(Some(v)))) = (it.next(), it.next())
        {
            m.insert(k, v);
        }
        m
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Debug, PartialEq)]
enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Reply>),
}

fn read_reply(r: &mut impl BufRead) -> Reply {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line).expect("read");
    let text = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
    match line[0] {
        b'+' => Reply::Status(text),
        b'-' => Reply::Error(text),
        b':' => Reply::Int(text.parse().expect("int")),
        b'$' => {
            let n: i64 = text.parse().expect("len");
            if n < 0 {
                return Reply::Bulk(None);
            }
            let mut buf = vec![0; n as usize + 2];
            r.read_exact(&mut buf).expect("bulk");
            buf.truncate(n as usize);
            Reply::Bulk(Some(buf))
        }
        b'*' => {
            let n: i64 = text.parse().expect("count");
            Reply::Array((0..n.max(0)).map(|_| read_reply(r)).collect())
        }
        c => panic!("unexpected reply type {c}"),
    }
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run fumi")
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "fumi failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fumi command on the Redis database `prefix`.
fn on_redis(s: &Server, prefix: &str) -> Command {
    on_url(&s.url(), prefix)
}

fn on_url(url: &str, prefix: &str) -> Command {
    let mut c = fumi();
    c.arg("--db").arg(url).arg("--redis-prefix").arg(prefix);
    c
}

fn on_lmdb(home: &Path) -> Command {
    let mut c = fumi();
    c.arg("--homedir").arg(home);
    c
}

/// `--scan` output of some messages.
fn scan(mut c: Command, msgs: &[PathBuf]) -> String {
    let out = run(c.arg("--scan").args(msgs));
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "scan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

/// `--show-db-status` as a map.
fn status(mut c: Command) -> BTreeMap<String, String> {
    let out = ok(run(c.arg("--show-db-status")));
    stdout(&out)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Token counts without the day: `field -> "spam clean"`.
fn counts_of(s: &Server, prefix: &str) -> BTreeMap<Vec<u8>, String> {
    s.hash(&format!("{{{prefix}}}:tokens"))
        .into_iter()
        .map(|(k, v)| {
            let v = String::from_utf8(v).expect("utf-8 value");
            let parts: Vec<&str> = v.split(' ').collect();
            assert_eq!(parts.len(), 3, "value {v:?}");
            (k, format!("{} {}", parts[0], parts[1]))
        })
        .collect()
}

fn halves(dir: &str) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let all = files(&corpus().join(dir));
    let (a, b): (Vec<_>, Vec<_>) = all.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
    (
        a.into_iter().map(|(_, p)| p).collect(),
        b.into_iter().map(|(_, p)| p).collect(),
    )
}

fn probability(line: &str) -> f64 {
    line.split('\t')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("probability")
}

#[test]
fn two_hosts_share_one_database() {
    let Some(server) = Server::start() else {
        return;
    };
    // Two hosts: separate homes, each with its own fumi.conf naming the server.
    let hosts: Vec<tempfile::TempDir> =
        (0..2).map(|_| tempfile::tempdir().expect("home")).collect();
    // A Redis user that may touch only this site's keys, with the commands
    // fumi needs (README, "Several servers").
    let acl: Vec<&[u8]> = [
        "ACL",
        "SETUSER",
        "fumi",
        "on",
        ">s3cret pass",
        "resetkeys",
        "~{site}:*",
        "resetchannels",
        "-@all",
        "+hget",
        "+hmget",
        "+hset",
        "+hsetnx",
        "+hdel",
        "+hlen",
        "+hscan",
        "+hincrby",
        "+evalsha",
        "+script|load",
        "+multi",
        "+exec",
        "+info",
        "+select",
    ]
    .iter()
    .map(|s| s.as_bytes())
    .collect();
    assert_eq!(server.cmd(&acl), Reply::Status("OK".into()));
    let url = format!("redis://fumi:s3cret%20pass@127.0.0.1:{}/0", server.port);
    for h in &hosts {
        std::fs::write(
            h.path().join("fumi.conf"),
            format!("# shared database\ndb {url}\nredis-prefix site\n"),
        )
        .expect("config");
    }
    let host = |i: usize| {
        let mut c = fumi();
        c.arg("--homedir").arg(hosts[i].path());
        c
    };
    let (train_spam, test_spam) = halves("spam");
    let (train_ham, test_ham) = halves("ham");

    // Nothing learned yet: host B's delivery passes the message through.
    let msg = std::fs::read(&test_ham[0]).expect("message");
    let out = run_with_input(host(1).args(["--pipe", "--insert-flag"]), &msg);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, msg);
    assert!(String::from_utf8_lossy(&out.stderr).contains("train it first"));

    // Host A learns; host B sees it.
    ok(run(host(0).arg("--add-spam").args(&train_spam)));
    ok(run(host(0).arg("--add-clean").args(&train_ham)));
    let st = status(host(1));
    assert_eq!(st["spam_messages"], train_spam.len().to_string());
    assert_eq!(st["clean_messages"], train_ham.len().to_string());
    assert_eq!(st["redis_prefix"], "site");
    assert!(st["db_url"].contains("fumi:***@"), "password masked");
    for h in &hosts {
        assert!(!h.path().join("data.mdb").exists(), "no local database");
    }
    let held_out: Vec<PathBuf> = test_spam.iter().chain(&test_ham).cloned().collect();
    assert_eq!(scan(host(0), &held_out), scan(host(1), &held_out));

    // Host A learns a clean message as spam: host B's score for it rises.
    let target = &test_ham[1];
    let before = probability(&scan(host(1), std::slice::from_ref(target)));
    ok(run(host(0).arg("--add-spam").arg(target)));
    let after = probability(&scan(host(1), std::slice::from_ref(target)));
    assert!(after > before, "{before} -> {after}");
    // Host B unlearns it: both hosts are back where they were.
    ok(run(host(1).arg("--sub-spam").arg(target)));
    assert_eq!(
        probability(&scan(host(0), std::slice::from_ref(target))),
        before
    );

    // A delivery on host B inserts headers from the shared counts.
    let spam_msg = std::fs::read(&train_spam[0]).expect("spam");
    let out = run_with_input(host(1).args(["--pipe", "--insert-flag"]), &spam_msg);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("X-Spam-Flag: Yes"));

    // Another prefix on the same server is another database.
    let out = run(on_redis(&server, "other").arg("--scan").arg(&test_spam[0]));
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("prefix other"));
}

#[test]
fn fifty_concurrent_writers_lose_no_counts() {
    let Some(server) = Server::start() else {
        return;
    };
    let spam = files(&corpus().join("spam"));
    let ham = files(&corpus().join("ham"));
    let jobs: Vec<(&str, &PathBuf)> = spam
        .iter()
        .take(25)
        .map(|p| ("--add-spam", p))
        .chain(ham.iter().take(25).map(|p| ("--add-clean", p)))
        .collect();
    assert_eq!(jobs.len(), 50);
    let children: Vec<Child> = jobs
        .iter()
        .map(|(flag, p)| {
            on_redis(&server, "busy")
                .arg(flag)
                .arg(p)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for c in children {
        ok(c.wait_with_output().expect("wait"));
    }
    // The same messages learned by one process, one after the other.
    for (flag, p) in &jobs {
        ok(run(on_redis(&server, "serial").arg(flag).arg(p)));
    }
    let st = status(on_redis(&server, "busy"));
    assert_eq!(st["spam_messages"], "25");
    assert_eq!(st["clean_messages"], "25");
    assert_eq!(st["trained_digests"], "50");
    let busy = counts_of(&server, "busy");
    assert!(busy.len() > 1000, "{} tokens", busy.len());
    assert_eq!(busy, counts_of(&server, "serial"));
}

#[test]
fn lmdb_and_redis_give_identical_scores() {
    let Some(server) = Server::start() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let (train_spam, test_spam) = halves("spam");
    let (train_ham, test_ham) = halves("ham");
    let stores: [&dyn Fn() -> Command; 2] = [&|| on_lmdb(home.path()), &|| on_redis(&server, "r")];
    // The same history on both: learn, learn again (no-op), move three
    // spam to clean, unlearn two, and unlearn as the wrong class (no-op).
    for store in stores {
        ok(run(store().arg("--add-spam").args(&train_spam)));
        ok(run(store().arg("--add-clean").args(&train_ham)));
        ok(run(store().arg("--add-spam").args(&train_spam[..5])));
        ok(run(store().arg("--add-clean").args(&train_spam[..3])));
        ok(run(store().arg("--sub-spam").args(&train_spam[3..5])));
        ok(run(store().arg("--sub-spam").args(&train_ham[..2])));
        ok(run(store().args(["-C", "-s"]).arg(&train_ham[2])));
    }
    let (l, r) = (status(on_lmdb(home.path())), status(on_redis(&server, "r")));
    for k in [
        "spam_messages",
        "clean_messages",
        "tokens",
        "trained_digests",
        "tokenizer",
    ] {
        assert_eq!(l[k], r[k], "{k}");
    }
    assert_eq!(
        l["spam_messages"],
        (train_spam.len() - 5 + 1).to_string(),
        "three moved, two unlearned, one moved in"
    );
    let all: Vec<PathBuf> = files(&corpus().join("spam"))
        .into_iter()
        .chain(files(&corpus().join("ham")))
        .collect();
    // Many messages: scored from a snapshot of all counts.
    let lmdb_scan = scan(on_lmdb(home.path()), &all);
    assert_eq!(lmdb_scan.lines().count(), all.len());
    assert_eq!(lmdb_scan, scan(on_redis(&server, "r"), &all));
    // Few messages: one lookup per message.
    let few: Vec<PathBuf> = test_spam
        .iter()
        .take(5)
        .chain(test_ham.iter().take(5))
        .cloned()
        .collect();
    assert_eq!(
        scan(on_lmdb(home.path()), &few),
        scan(on_redis(&server, "r"), &few)
    );
    // Filtering one message from standard input, with the same headers.
    let msg = std::fs::read(&test_spam[1]).expect("message");
    let pipe = |mut c: Command| {
        let out = run_with_input(
            c.args(["--pipe", "--insert-flag", "--insert-probability"]),
            &msg,
        );
        assert_eq!(out.status.code(), Some(0));
        out.stdout
    };
    assert_eq!(pipe(on_lmdb(home.path())), pipe(on_redis(&server, "r")));

    // Copies both ways keep every count and digest.
    ok(run(on_lmdb(home.path())
        .arg("--copy-db-to")
        .arg(server.url())
        .args(["--redis-prefix", "copy"])));
    assert_eq!(counts_of(&server, "copy"), counts_of(&server, "r"));
    assert_eq!(
        server.hash("{copy}:trained").keys().collect::<Vec<_>>(),
        server.hash("{r}:trained").keys().collect::<Vec<_>>()
    );
    let back = tempfile::tempdir().expect("back");
    ok(run(on_redis(&server, "r")
        .arg("--copy-db-to")
        .arg(back.path())));
    assert_eq!(scan(on_lmdb(back.path()), &all), lmdb_scan);
    let back2 = tempfile::tempdir().expect("back2");
    ok(run(on_lmdb(back2.path())
        .arg("--copy-db-from")
        .arg(server.url())
        .args(["--redis-prefix", "copy"])));
    assert_eq!(scan(on_lmdb(back2.path()), &all), lmdb_scan);
    assert_eq!(
        status(on_lmdb(back2.path()))["trained_digests"],
        l["trained_digests"]
    );
    // Copying into a database in use is refused.
    let out = run(on_lmdb(home.path())
        .arg("--copy-db-to")
        .arg(server.url())
        .args(["--redis-prefix", "copy"]));
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));

    // Expiry of rare tokens drops the same tokens on both.
    for store in stores {
        ok(run(store().args(["--expire-count", "1"])));
    }
    let (l2, r2) = (status(on_lmdb(home.path())), status(on_redis(&server, "r")));
    assert_eq!(l2["tokens"], r2["tokens"]);
    assert!(l2["tokens"].parse::<u64>().expect("n") < l["tokens"].parse::<u64>().expect("n"));
    assert_ne!(r2["last_expire"], "-");
    assert_eq!(
        scan(on_lmdb(home.path()), &all),
        scan(on_redis(&server, "r"), &all)
    );
}

/// An import into Redis is recorded as on LMDB (the imported message
/// counts), scores the same (only the tokens the import brought count) and
/// keeps its record through --copy-db-to.
#[test]
fn imports_are_recorded_on_redis_as_on_lmdb() {
    let Some(server) = Server::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let native = dir.path().join("native");
    let (train_spam, test_spam) = halves("spam");
    let (train_ham, test_ham) = halves("ham");
    ok(run(on_lmdb(&native).arg("--add-spam").args(&train_spam)));
    ok(run(on_lmdb(&native).arg("--add-clean").args(&train_ham)));
    // fumi's exports without their `# fumi` line read as bsfilter's.
    let (spam_txt, clean_txt) = (dir.path().join("s.txt"), dir.path().join("c.txt"));
    for (flag, path) in [("--export-spam", &spam_txt), ("--export-clean", &clean_txt)] {
        let text = stdout(&ok(run(on_lmdb(&native).arg(flag))));
        let foreign: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
        std::fs::write(path, foreign).expect("write");
    }
    let lmdb = dir.path().join("imported");
    let stores: [&dyn Fn() -> Command; 2] = [&|| on_lmdb(&lmdb), &|| on_redis(&server, "imp")];
    for store in stores {
        ok(run(store().arg("--import-spam").arg(&spam_txt)));
        ok(run(store().arg("--import-clean").arg(&clean_txt)));
    }
    let (l, r) = (status(on_lmdb(&lmdb)), status(on_redis(&server, "imp")));
    for k in [
        "spam_messages",
        "clean_messages",
        "imported_spam_messages",
        "imported_clean_messages",
        "tokens",
    ] {
        assert_eq!(l.get(k), r.get(k), "{k}");
    }
    assert_eq!(l["imported_spam_messages"], train_spam.len().to_string());
    let test: Vec<PathBuf> = test_spam.iter().chain(&test_ham).cloned().collect();
    let lmdb_scan = scan(on_lmdb(&lmdb), &test);
    assert_eq!(lmdb_scan, scan(on_redis(&server, "imp"), &test));
    assert_ne!(lmdb_scan, scan(on_lmdb(&native), &test));
    // One message at a time (a lookup each) agrees with the batch.
    let one = scan(on_redis(&server, "imp"), &test[..1]);
    assert_eq!(Some(one.trim_end()), lmdb_scan.lines().next());
    // Training on Redis keeps the record.
    ok(run(on_redis(&server, "imp")
        .arg("--add-spam")
        .arg(&test_spam[0])));
    let r2 = status(on_redis(&server, "imp"));
    assert_eq!(r2["imported_spam_messages"], r["imported_spam_messages"]);
    assert_eq!(r2["spam_messages"], (train_spam.len() + 1).to_string());
    let back = dir.path().join("back");
    ok(run(on_redis(&server, "imp").arg("--copy-db-to").arg(&back)));
    let b = status(on_lmdb(&back));
    for k in [
        "spam_messages",
        "clean_messages",
        "imported_spam_messages",
        "imported_clean_messages",
    ] {
        assert_eq!(b[k], r2[k], "{k}");
    }
}

#[test]
fn expiry_by_age_on_redis() {
    let Some(server) = Server::start() else {
        return;
    };
    let spam = files(&corpus().join("spam"));
    let ham = files(&corpus().join("ham"));
    ok(run(on_redis(&server, "age")
        .arg("--add-spam")
        .args(&spam[..10])));
    ok(run(on_redis(&server, "age")
        .arg("--add-clean")
        .args(&ham[..10])));
    // An old token and an old digest, as if trained in 2003.
    let r = server.cmd(&[b"HSET", b"{age}:tokens", b"\x01ancient-token", b"4 0 1200"]);
    assert_eq!(r, Reply::Int(1));
    server.cmd(&[b"HSET", b"{age}:trained", b"0123456789abcdef", b"s1200"]);
    let before = status(on_redis(&server, "age"));
    ok(run(on_redis(&server, "age").args(["--expire", "30"])));
    let tokens = server.hash("{age}:tokens");
    assert!(!tokens.contains_key(b"\x01ancient-token".as_slice()));
    assert!(
        !server
            .hash("{age}:trained")
            .contains_key(b"0123456789abcdef".as_slice())
    );
    let after = status(on_redis(&server, "age"));
    assert_eq!(
        after["tokens"].parse::<u64>().expect("n") + 1,
        before["tokens"].parse::<u64>().expect("n"),
        "only the old token went"
    );
    assert_eq!(after["trained_digests"], "20");
}

#[test]
fn redis_going_away_passes_mail_through() {
    let Some(mut server) = Server::start() else {
        return;
    };
    let spam = files(&corpus().join("spam"));
    let ham = files(&corpus().join("ham"));
    ok(run(on_redis(&server, "p")
        .arg("--add-spam")
        .args(&spam[..40])));
    ok(run(on_redis(&server, "p")
        .arg("--add-clean")
        .args(&ham[..40])));
    let msg = std::fs::read(&spam[50]).expect("message");
    let url = server.url();
    let deliver = || {
        run_with_input(
            on_url(&url, "p").args(["--pipe", "--insert-flag", "--auto-update"]),
            &msg,
        )
    };
    let out = deliver();
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("X-Spam-Flag: "), "headers inserted");

    server.stop();
    let t = Instant::now();
    let out = deliver();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, msg, "the message passes through unchanged");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("passed through unchanged"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(5));
    // Without --pipe: internal error, never "clean".
    let out = run(on_url(&url, "p").arg(&spam[50]));
    assert_eq!(out.status.code(), Some(3));
    let out = run(on_url(&url, "p").arg("--add-spam").arg(&spam[51]));
    assert_eq!(out.status.code(), Some(3));

    // A server that accepts connections but never answers: the wait is
    // bounded by --redis-timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "redis://127.0.0.1:{}/0",
        silent.local_addr().expect("addr").port()
    );
    let t = Instant::now();
    let out = run_with_input(
        fumi().args([
            "--db",
            &url,
            "--redis-timeout",
            "300",
            "--pipe",
            "--insert-flag",
        ]),
        &msg,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, msg);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no answer within 300 ms"));
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn tls_with_a_private_ca() {
    if !require_program("openssl") {
        return;
    }
    let pki = tempfile::tempdir().expect("pki");
    let p = |n: &str| pki.path().join(n);
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(pki.path())
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=fumi test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "srv.key",
        "-out",
        "srv.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(p("ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").expect("ext");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.crt",
        "-days",
        "2",
        "-extfile",
        "ext",
    ]);
    let cert = p("srv.crt").display().to_string();
    let key = p("srv.key").display().to_string();
    let ca = p("ca.crt").display().to_string();
    let Some(server) = Server::start_with(
        &[
            "--tls-port",
            "{port}",
            "--tls-cert-file",
            &cert,
            "--tls-key-file",
            &key,
            "--tls-ca-cert-file",
            &ca,
            "--tls-auth-clients",
            "no",
        ],
        false,
    ) else {
        return;
    };
    let url = format!("rediss://localhost:{}/0", server.port);
    let spam = files(&corpus().join("spam"));
    ok(run(fumi()
        .args(["--db", &url, "--redis-ca", &ca, "--add-spam"])
        .args(&spam[..5])));
    let out = ok(run(fumi().args([
        "--db",
        &url,
        "--redis-ca",
        &ca,
        "--show-db-status",
    ])));
    assert!(stdout(&out).contains("spam_messages\t5"));
    // The system's trust store does not know our CA.
    let out = run(fumi().args(["--db", &url, "--show-db-status"]));
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .to_lowercase()
            .contains("certificate"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn redis_cluster_keeps_each_database_on_one_node() {
    if !require_program("redis-cli") {
        return;
    }
    let mut nodes = Vec::new();
    for _ in 0..3 {
        let bus = free_port().to_string();
        let Some(n) = Server::start_with(
            &[
                "--cluster-enabled",
                "yes",
                "--cluster-port",
                &bus,
                "--cluster-config-file",
                "nodes.conf",
            ],
            true,
        ) else {
            return;
        };
        nodes.push(n);
    }
    let addrs: Vec<String> = nodes
        .iter()
        .map(|n| format!("127.0.0.1:{}", n.port))
        .collect();
    let out = Command::new("redis-cli")
        .arg("--cluster")
        .arg("create")
        .args(&addrs)
        .args(["--cluster-replicas", "0", "--cluster-yes"])
        .output()
        .expect("redis-cli");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !nodes.iter().all(|n| {
        matches!(n.cmd(&[b"CLUSTER", b"INFO"]),
            Reply::Bulk(Some(b)) if String::from_utf8_lossy(&b).contains("cluster_state:ok"))
    }) {
        assert!(Instant::now() < deadline, "the cluster did not form");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Seed nodes, comma-separated; the client finds the rest.
    let seeds = format!("redis://{}/0,redis://{}/0", addrs[0], addrs[1]);
    let on_cluster = |prefix: &str| {
        let mut c = on_url(&seeds, prefix);
        c.arg("--redis-cluster");
        c
    };
    let (train_spam, test_spam) = halves("spam");
    let (train_ham, test_ham) = halves("ham");
    let home = tempfile::tempdir().expect("home");
    let prefixes = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];
    for p in prefixes {
        ok(run(on_cluster(p).arg("--add-spam").args(&train_spam)));
        ok(run(on_cluster(p).arg("--add-clean").args(&train_ham)));
    }
    ok(run(on_lmdb(home.path())
        .arg("--add-spam")
        .args(&train_spam)));
    ok(run(on_lmdb(home.path())
        .arg("--add-clean")
        .args(&train_ham)));
    // Each database's three keys are on one node; the databases spread.
    let holding: Vec<usize> = nodes
        .iter()
        .map(|n| match n.cmd(&[b"DBSIZE"]) {
            Reply::Int(k) => k as usize,
            r => panic!("DBSIZE: {r:?}"),
        })
        .collect();
    assert_eq!(holding.iter().sum::<usize>(), 3 * prefixes.len());
    assert!(holding.iter().all(|k| k % 3 == 0), "{holding:?}");
    assert!(
        holding.iter().filter(|&&k| k > 0).count() >= 2,
        "{holding:?}"
    );
    // Scores equal LMDB's, by snapshot and by one lookup script per message.
    let all: Vec<PathBuf> = test_spam.iter().chain(&test_ham).cloned().collect();
    let few: Vec<PathBuf> = test_spam
        .iter()
        .take(4)
        .chain(test_ham.iter().take(4))
        .cloned()
        .collect();
    for set in [&all, &few] {
        assert_eq!(
            scan(on_cluster("delta"), set),
            scan(on_lmdb(home.path()), set)
        );
    }
    let st = status(on_cluster("delta"));
    assert_eq!(st["redis_cluster"], "yes");
    assert_eq!(st["tokens"], status(on_lmdb(home.path()))["tokens"]);
    // Moving a message between classes, and expiry, work there too.
    ok(run(on_cluster("echo")
        .arg("--add-clean")
        .arg(&train_spam[0])));
    ok(run(on_lmdb(home.path())
        .arg("--add-clean")
        .arg(&train_spam[0])));
    ok(run(on_cluster("echo").args(["--expire-count", "1"])));
    ok(run(on_lmdb(home.path()).args(["--expire-count", "1"])));
    assert_eq!(
        scan(on_cluster("echo"), &all),
        scan(on_lmdb(home.path()), &all)
    );
}

#[test]
fn a_replica_serves_scoring() {
    let Some(primary) = Server::start() else {
        return;
    };
    let (train_spam, test_spam) = halves("spam");
    let (train_ham, test_ham) = halves("ham");
    ok(run(on_redis(&primary, "site")
        .arg("--add-spam")
        .args(&train_spam)));
    ok(run(on_redis(&primary, "site")
        .arg("--add-clean")
        .args(&train_ham)));
    // Send the replica its copy at once rather than after 5 s.
    primary.cmd(&[b"CONFIG", b"SET", b"repl-diskless-sync-delay", b"0"]);
    let of = primary.port.to_string();
    let Some(replica) = Server::start_with(&["--replicaof", "127.0.0.1", &of], true) else {
        return;
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !matches!(replica.cmd(&[b"INFO", b"replication"]),
        Reply::Bulk(Some(b)) if String::from_utf8_lossy(&b).contains("master_link_status:up"))
    {
        assert!(Instant::now() < deadline, "the replica did not sync");
        std::thread::sleep(Duration::from_millis(100));
    }
    let all: Vec<PathBuf> = test_spam.iter().chain(&test_ham).cloned().collect();
    let few: Vec<PathBuf> = all.iter().take(6).cloned().collect();
    for set in [&all, &few] {
        assert_eq!(
            scan(on_redis(&replica, "site"), set),
            scan(on_redis(&primary, "site"), set)
        );
    }
    assert_eq!(status(on_redis(&replica, "site"))["redis_role"], "slave");
    // Learning needs the primary; on the replica it fails, and a delivery
    // with --auto-update still goes through, headers and all.
    let out = run(on_redis(&replica, "site")
        .arg("--add-spam")
        .arg(&test_ham[0]));
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("read only replica"));
    let msg = std::fs::read(&train_spam[0]).expect("message");
    let out = run_with_input(
        on_redis(&replica, "site").args(["--pipe", "--insert-flag", "--auto-update"]),
        &msg,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("X-Spam-Flag: Yes"));
}

/// A Redis Sentinel watching `primary` as `fumi-primary`.
fn start_sentinel(primary: &Server) -> Server {
    // A sentinel never says "Ready to accept connections".
    Server::launch("Sentinel ID is", |dir, port, log| {
        let conf = dir.join("sentinel.conf");
        std::fs::write(
            &conf,
            format!(
                "port {port}\nbind 127.0.0.1\ndir {}\nlogfile {}\n\
                 sentinel monitor fumi-primary 127.0.0.1 {} 1\n\
                 sentinel down-after-milliseconds fumi-primary 1000\n\
                 sentinel failover-timeout fumi-primary 5000\n",
                dir.display(),
                log.display(),
                primary.port
            ),
        )
        .expect("sentinel.conf");
        let mut cmd = Command::new("redis-server");
        cmd.arg(&conf).arg("--sentinel");
        cmd
    })
}

/// Polls `f` until it holds, for at most 30 s.
fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn text(r: Reply) -> String {
    match r {
        Reply::Bulk(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
        Reply::Array(items) => items.into_iter().map(text).collect::<Vec<_>>().join(" "),
        Reply::Status(s) | Reply::Error(s) => s,
        Reply::Int(i) => i.to_string(),
        Reply::Bulk(None) => String::new(),
    }
}

#[test]
fn sentinel_failover_is_followed() {
    let Some(primary) = Server::start() else {
        return;
    };
    primary.cmd(&[b"CONFIG", b"SET", b"repl-diskless-sync-delay", b"0"]);
    let of = primary.port.to_string();
    let Some(replica) = Server::start_with(&["--replicaof", "127.0.0.1", &of], true) else {
        return;
    };
    let sentinel = start_sentinel(&primary);
    // The first sentinel listed is down; fumi asks the next.
    let dead = free_port();
    let url = format!("redis://127.0.0.1:{dead},127.0.0.1:{}/0", sentinel.port);
    let via_sentinel = || {
        let mut c = on_url(&url, "ha");
        c.args(["--redis-sentinel", "fumi-primary"]);
        c
    };
    let (train_spam, test_spam) = halves("spam");
    let (train_ham, test_ham) = halves("ham");
    ok(run(via_sentinel().arg("--add-spam").args(&train_spam)));
    ok(run(via_sentinel().arg("--add-clean").args(&train_ham)));
    assert_eq!(
        status(on_redis(&primary, "ha"))["spam_messages"],
        train_spam.len().to_string()
    );
    let all: Vec<PathBuf> = test_spam.iter().chain(&test_ham).cloned().collect();
    let before = scan(via_sentinel(), &all);

    // Fail over to the replica once it is in sync and the sentinel knows it.
    let offset = |s: &Server| {
        text(s.cmd(&[b"INFO", b"replication"]))
            .lines()
            .find_map(|l| {
                l.strip_prefix("master_repl_offset:")
                    .map(|v| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    wait_for("the replica to sync", || {
        text(replica.cmd(&[b"INFO", b"replication"])).contains("master_link_status:up")
            && offset(&replica) == offset(&primary)
    });
    wait_for("the sentinel to see the replica", || {
        text(sentinel.cmd(&[b"SENTINEL", b"REPLICAS", b"fumi-primary"]))
            .contains(&replica.port.to_string())
    });
    // One failover: asking again once it is under way would fail back.
    wait_for(
        "the sentinel to start a failover",
        || matches!(sentinel.cmd(&[b"SENTINEL", b"FAILOVER", b"fumi-primary"]), Reply::Status(s) if s == "OK"),
    );
    wait_for("the failover", || {
        text(sentinel.cmd(&[b"SENTINEL", b"GET-MASTER-ADDR-BY-NAME", b"fumi-primary"]))
            .contains(&replica.port.to_string())
            && text(replica.cmd(&[b"ROLE"])).starts_with("master")
    });
    // fumi now scores and learns on the new primary.
    assert_eq!(scan(via_sentinel(), &all), before);
    ok(run(via_sentinel().arg("--add-spam").arg(&test_ham[0])));
    let st = status(on_redis(&replica, "ha"));
    assert_eq!(st["spam_messages"], (train_spam.len() + 1).to_string());
    assert_eq!(status(via_sentinel())["redis_sentinel"], "fumi-primary");
}

fn used_memory(s: &Server) -> u64 {
    text(s.cmd(&[b"INFO", b"memory"]))
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory")
}

#[test]
fn a_server_full_mid_run_keeps_whole_messages() {
    let Some(server) = Server::start() else {
        return;
    };
    let spam = files(&corpus().join("spam"));
    // What the whole run adds to memory, on a reference database.
    let before = used_memory(&server);
    ok(run(on_redis(&server, "ref").arg("--add-spam").args(&spam)));
    let growth = used_memory(&server) - before;
    // Room for about half of it: the scripts of the batch that come after
    // the server is full fail (noeviction), the earlier ones stay.
    let limit = (used_memory(&server) + growth / 2).to_string();
    assert_eq!(
        server.cmd(&[b"CONFIG", b"SET", b"maxmemory", limit.as_bytes()]),
        Reply::Status("OK".into())
    );
    let out = run(on_redis(&server, "site").arg("--add-spam").args(&spam));
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(err.contains("memory"), "{err}");
    // Whatever got in is whole messages: one digest per message counted.
    let st = status(on_redis(&server, "site"));
    let learned: usize = st["spam_messages"].parse().expect("count");
    assert!(learned > 0 && learned < spam.len(), "{learned} learned");
    assert_eq!(st["trained_digests"], learned.to_string());
    // Running it again once there is room finishes the job, counting
    // nothing twice.
    server.cmd(&[b"CONFIG", b"SET", b"maxmemory", b"0"]);
    ok(run(on_redis(&server, "site").arg("--add-spam").args(&spam)));
    assert_eq!(counts_of(&server, "site"), counts_of(&server, "ref"));
    assert_eq!(
        status(on_redis(&server, "site"))["spam_messages"],
        spam.len().to_string()
    );
}
