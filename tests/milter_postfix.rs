//! `fumi --milter` behind a real Postfix on loopback: each test starts its
//! own Postfix instance (config, queue and Maildir in a temporary
//! directory; `postfix -c DIR start`, as root) and the milter, and talks
//! SMTP to Postfix.
//!
//! The load benchmark (10,000 messages over 50 sessions, with and without
//! the milter) is `milter_load_benchmark`, ignored by default; run it with
//! `contrib/bench/milter-load.sh`.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;

/// Postfix can run here: it is installed and we are root.
fn can_run_postfix() -> bool {
    if !require_program("postfix") {
        return false;
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        if std::env::var_os("FUMI_REQUIRE_SERVERS").is_some() {
            panic!("the Postfix tests must run as root (FUMI_REQUIRE_SERVERS is set)");
        }
        eprintln!("skipping: starting Postfix needs root");
        return false;
    }
    true
}

/// uid and gid of a user, from /etc/passwd.
fn user_ids(name: &str) -> (u32, u32) {
    let passwd = fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() > 3 && f[0] == name {
            return (f[2].parse().expect("uid"), f[3].parse().expect("gid"));
        }
    }
    panic!("no user {name} in /etc/passwd");
}

fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A Postfix instance of our own.
struct Postfix {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

impl Postfix {
    /// Starts Postfix with one smtpd per `(port, milter)`: the milter
    /// address, or `None` for a plain smtpd. Everything is delivered by
    /// virtual(8) into one Maildir.
    fn start(listeners: &[(u16, Option<String>)]) -> Postfix {
        let dir = tempfile::Builder::new()
            .prefix("fumi-postfix.")
            .tempdir()
            .expect("tempdir");
        let root = dir.path().to_path_buf();
        fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).expect("chmod");
        for d in ["conf", "queue", "data", "mail"] {
            fs::create_dir(root.join(d)).expect("mkdir");
        }
        let (pf_uid, pf_gid) = user_ids("postfix");
        std::os::unix::fs::chown(root.join("data"), Some(pf_uid), Some(pf_gid)).expect("chown");
        let (mail_uid, mail_gid) = user_ids("nobody");
        std::os::unix::fs::chown(root.join("mail"), Some(mail_uid), Some(mail_gid)).expect("chown");
        let r = root.display();
        let main_cf = format!(
            "compatibility_level = 3.6
queue_directory = {r}/queue
data_directory = {r}/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = fumi-test.example
mydomain = example
myorigin = example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks reject
local_header_rewrite_clients =
alias_maps =
alias_database =
biff = no
maillog_file = {r}/maillog
maillog_file_prefixes = {r}
virtual_mailbox_domains = example.test
virtual_mailbox_base = {r}/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:{mail_uid}
virtual_gid_maps = static:{mail_gid}
virtual_minimum_uid = 1
milter_default_action = accept
"
        );
        fs::write(root.join("conf/main.cf"), main_cf).expect("main.cf");
        let mut master = String::new();
        for (port, milter) in listeners {
            master.push_str(&format!("127.0.0.1:{port} inet n - n - - smtpd"));
            if let Some(m) = milter {
                master.push_str(&format!(" -o smtpd_milters={m}"));
            }
            master.push('\n');
        }
        for line in [
            "pickup unix n - n 60 1 pickup",
            "cleanup unix n - n - 0 cleanup",
            "qmgr unix n - n 300 1 qmgr",
            "rewrite unix - - n - - trivial-rewrite",
            "bounce unix - - n - 0 bounce",
            "defer unix - - n - 0 bounce",
            "trace unix - - n - 0 bounce",
            "verify unix - - n - 1 verify",
            "flush unix n - n 1000? 0 flush",
            "proxymap unix - - n - - proxymap",
            "showq unix n - n - - showq",
            "error unix - - n - - error",
            "retry unix - - n - - error",
            "discard unix - - n - - discard",
            "virtual unix - n n - - virtual",
            "anvil unix - - n - 1 anvil",
            "scache unix - - n - 1 scache",
            "postlog unix-dgram n - n - 1 postlogd",
        ] {
            master.push_str(line);
            master.push('\n');
        }
        fs::write(root.join("conf/master.cf"), master).expect("master.cf");
        let conf = root.join("conf");
        let pf = Postfix { dir, conf };
        let out = Command::new("postfix")
            .arg("-c")
            .arg(&pf.conf)
            .arg("start")
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .output()
            .expect("run postfix");
        assert!(
            out.status.success(),
            "postfix start failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            pf.maillog()
        );
        for (port, _) in listeners {
            assert!(
                wait_until(Duration::from_secs(20), || TcpStream::connect((
                    "127.0.0.1",
                    *port
                ))
                .is_ok()),
                "Postfix does not listen on {port}:\n{}",
                pf.maillog()
            );
        }
        pf
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn maillog(&self) -> String {
        fs::read_to_string(self.root().join("maillog")).unwrap_or_default()
    }

    fn inbox(&self) -> PathBuf {
        self.root().join("mail/inbox/new")
    }

    fn delivered_files(&self) -> Vec<PathBuf> {
        fs::read_dir(self.inbox())
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default()
    }

    /// The delivered message for envelope recipient `rcpt`.
    fn delivered(&self, rcpt: &str, timeout: Duration) -> Option<String> {
        let needle = format!("Delivered-To: {rcpt}\n");
        let mut found = None;
        wait_until(timeout, || {
            found = self.delivered_files().into_iter().find_map(|p| {
                let text = String::from_utf8_lossy(&fs::read(p).ok()?).into_owned();
                text.contains(&needle).then_some(text)
            });
            found.is_some()
        });
        found
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let pid = fs::read_to_string(self.root().join("queue/pid/master.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok());
        let _ = Command::new("postfix")
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .output();
        if let Some(pid) = pid {
            // SAFETY: kill(pid, 0) only checks that the process exists.
            wait_until(
                Duration::from_secs(15),
                || unsafe { libc::kill(pid, 0) } != 0,
            );
        }
    }
}

/// A running `fumi --milter`, its standard error in a file.
struct Milter {
    child: Child,
    log: PathBuf,
}

impl Milter {
    fn start(home: &Path, addr: &str, extra: &[&str], log: PathBuf) -> Milter {
        let err = fs::File::create(&log).expect("log file");
        let child = fumi()
            .arg("--homedir")
            .arg(home)
            .arg("--milter")
            .arg(addr)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .expect("start the milter");
        let m = Milter { child, log };
        assert!(
            m.wait_log("listening on", 1, Duration::from_secs(20)),
            "the milter did not start:\n{}",
            m.text()
        );
        m
    }

    fn text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Log lines about messages.
    fn records(&self) -> Vec<String> {
        self.text()
            .lines()
            .filter(|l| l.contains(": verdict="))
            .map(str::to_string)
            .collect()
    }

    fn wait_log(&self, needle: &str, times: usize, timeout: Duration) -> bool {
        wait_until(timeout, || self.text().matches(needle).count() >= times)
    }

    fn signal(&self, sig: i32) {
        // SAFETY: signals our own child.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let mut status = None;
        wait_until(timeout, || {
            status = self.child.try_wait().ok().flatten();
            status.is_some()
        });
        status
    }
}

impl Drop for Milter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal SMTP client.
struct Smtp {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Smtp {
    fn connect(port: u16) -> Smtp {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect to Postfix");
        s.set_read_timeout(Some(Duration::from_secs(120)))
            .expect("timeout");
        s.set_nodelay(true).expect("nodelay");
        let mut c = Smtp {
            r: BufReader::new(s.try_clone().expect("clone")),
            w: s,
        };
        let (code, text) = c.reply();
        assert_eq!(code, 220, "greeting: {text}");
        c
    }

    fn reply(&mut self) -> (u16, String) {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            if self.r.read_line(&mut line).unwrap_or(0) == 0 {
                return (0, all);
            }
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                let code = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
                return (code, all.trim_end().to_string());
            }
        }
    }

    fn cmd(&mut self, line: &str) -> (u16, String) {
        self.w
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("write");
        self.reply()
    }

    /// Sends one message; returns the reply to the end of DATA and the
    /// time from sending the message (with its final dot) to that reply.
    fn send(&mut self, from: &str, to: &str, msg: &[u8]) -> ((u16, String), Duration) {
        let r = self.cmd(&format!("MAIL FROM:<{from}>"));
        assert_eq!(r.0, 250, "MAIL: {}", r.1);
        let r = self.cmd(&format!("RCPT TO:<{to}>"));
        assert_eq!(r.0, 250, "RCPT: {}", r.1);
        let r = self.cmd("DATA");
        assert_eq!(r.0, 354, "DATA: {}", r.1);
        let mut data = Vec::with_capacity(msg.len() + 64);
        for line in msg.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.first() == Some(&b'.') {
                data.push(b'.');
            }
            data.extend_from_slice(line);
            data.extend_from_slice(b"\r\n");
        }
        if msg.ends_with(b"\n") {
            data.truncate(data.len() - 2);
        }
        data.extend_from_slice(b".\r\n");
        // One write: the time is Postfix's (and the milter's), not the
        // client's.
        let t = Instant::now();
        self.w.write_all(&data).expect("write data");
        let r = self.reply();
        (r, t.elapsed())
    }
}

/// Sends one message in its own SMTP session.
fn send(port: u16, to: &str, msg: &[u8]) -> (u16, String) {
    let mut c = Smtp::connect(port);
    let r = c.cmd("EHLO client.example");
    assert_eq!(r.0, 250, "EHLO: {}", r.1);
    let (reply, _) = c.send("sender@example.org", to, msg);
    let _ = c.cmd("QUIT");
    reply
}

/// The values of a header field in a delivered message.
fn fields(msg: &str, name: &str) -> Vec<String> {
    let head = msg.split("\n\n").next().unwrap_or("");
    let prefix = format!("{}:", name.to_ascii_lowercase());
    head.lines()
        .filter(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(|l| l[prefix.len()..].trim().to_string())
        .collect()
}

/// The queue id Postfix gave a delivered message (its Received field).
fn queue_id(msg: &str) -> String {
    let i = msg.find("with ESMTP id ").expect("Received field") + "with ESMTP id ".len();
    msg[i..]
        .split_whitespace()
        .next()
        .expect("queue id")
        .to_string()
}

/// `fumi --scan` of files: (probability, file).
fn scan(home: &Path, files: &[PathBuf]) -> Vec<(f64, PathBuf)> {
    let out = fumi()
        .arg("--homedir")
        .arg(home)
        .arg("--scan")
        .args(files)
        .output()
        .expect("scan");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let mut f = l.split('\t');
            let p: f64 = f.next().and_then(|p| p.parse().ok()).expect("probability");
            let name = f.nth(1).expect("name");
            (p, PathBuf::from(name))
        })
        .collect()
}

/// The most spammy test spam and the least spammy test ham, with the
/// command line's probabilities.
fn pick(home: &Path, spam: &[PathBuf], ham: &[PathBuf]) -> ((f64, PathBuf), (f64, PathBuf)) {
    let by = |v: Vec<(f64, PathBuf)>, max: bool| {
        v.into_iter()
            .max_by(|a, b| {
                let o = a.0.total_cmp(&b.0);
                if max { o } else { o.reverse() }
            })
            .expect("messages")
    };
    (by(scan(home, spam), true), by(scan(home, ham), false))
}

#[test]
fn postfix_milter_tags_rejects_holds_and_fails_open() {
    if !can_run_postfix() {
        return;
    }
    let (home, test_spam, test_ham) = trained_home();
    let ((p_spam, spam), (p_ham, ham)) = pick(home.path(), &test_spam, &test_ham);
    assert!(p_spam > 0.9 && p_ham < 0.5, "spam {p_spam}, ham {p_ham}");
    let spam_bytes = fs::read(&spam).expect("spam");
    let ham_bytes = fs::read(&ham).expect("ham");

    let mport = free_port();
    let maddr = format!("inet:127.0.0.1:{mport}");
    let logs = tempfile::tempdir().expect("tempdir");
    let mut milter = Milter::start(home.path(), &maddr, &[], logs.path().join("milter.log"));
    let port = free_port();
    let pf = Postfix::start(&[(port, Some(maddr.clone()))]);
    let wait = Duration::from_secs(30);

    // Spam, no reject threshold: delivered, tagged.
    assert_eq!(send(port, "spam1@example.test", &spam_bytes).0, 250);
    let m = pf
        .delivered("spam1@example.test", wait)
        .unwrap_or_else(|| panic!("spam not delivered:\n{}\n{}", pf.maillog(), milter.text()));
    assert_eq!(fields(&m, "X-Spam-Flag"), ["Yes"]);
    let prob = fields(&m, "X-Spam-Probability");
    assert_eq!(prob.len(), 1);
    // The same engine and database as the command line: the same figure.
    assert_eq!(prob[0], format!("{p_spam:.6}"), "milter and --scan differ");
    let qid = queue_id(&m);
    assert!(
        milter.records().iter().any(|l| l.contains(&format!(
            "{qid}: verdict=spam, probability={p_spam:.6}, action=accept, client=[127.0.0.1]"
        ))),
        "no log line for {qid}:\n{}",
        milter.text()
    );

    // Ham with forged headers: delivered with fumi's own, once.
    let mut forged = b"X-Spam-Flag: YES\nX-Spam-Probability: 1.000000\nx-spam-flag: yes\n".to_vec();
    forged.extend_from_slice(&ham_bytes);
    assert_eq!(send(port, "ham1@example.test", &forged).0, 250);
    let m = pf
        .delivered("ham1@example.test", wait)
        .expect("ham delivered");
    assert_eq!(fields(&m, "X-Spam-Flag"), ["No"]);
    // Postfix's own Received field adds a few (unknown) tokens, so the
    // figure may differ from the file's in the last places.
    let p: Vec<f64> = fields(&m, "X-Spam-Probability")
        .iter()
        .map(|v| v.parse().expect("probability"))
        .collect();
    assert_eq!(p.len(), 1);
    assert!((p[0] - p_ham).abs() < 0.01, "{} vs {p_ham}", p[0]);
    let p_ham_milter = p[0];

    // Training while the milter runs counts from the next message on.
    let train = |flag: &str| {
        let out = fumi()
            .arg("--homedir")
            .arg(home.path())
            .arg(flag)
            .arg(&ham)
            .output()
            .expect("train");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        scan(home.path(), std::slice::from_ref(&ham))[0].0
    };
    let p_trained = train("--add-spam");
    assert!(p_trained > p_ham, "{p_trained} {p_ham}");
    assert_eq!(send(port, "ham-trained@example.test", &ham_bytes).0, 250);
    let m = pf
        .delivered("ham-trained@example.test", wait)
        .expect("delivered");
    let p_after: f64 = fields(&m, "X-Spam-Probability")[0]
        .parse()
        .expect("probability");
    assert!(
        p_after > p_ham_milter,
        "{p_after} after training, {p_ham_milter} before"
    );
    assert!(
        (p_after - p_trained).abs() < 0.05,
        "{p_after} vs --scan {p_trained}"
    );
    assert_eq!(train("--sub-spam"), p_ham);

    // SIGHUP re-reads fumi.conf: now spam is refused at the end of DATA.
    fs::write(home.path().join("fumi.conf"), "milter-reject 0.9\n").expect("fumi.conf");
    milter.signal(libc::SIGHUP);
    assert!(
        milter.wait_log("reloaded the configuration", 1, wait),
        "no reload:\n{}",
        milter.text()
    );
    let (code, text) = send(port, "spam2@example.test", &spam_bytes);
    assert_eq!(code, 550, "{text}");
    assert!(text.contains("5.7.1"), "{text}");
    assert!(milter.wait_log("action=reject", 1, wait));
    // Postfix writes its log through postlogd, after the SMTP reply: wait.
    assert!(
        wait_until(wait, || pf
            .maillog()
            .contains("milter-reject: END-OF-MESSAGE")),
        "{}",
        pf.maillog()
    );
    // Ham still passes.
    assert_eq!(send(port, "ham2@example.test", &ham_bytes).0, 250);
    let m = pf
        .delivered("ham2@example.test", wait)
        .expect("ham delivered");
    assert_eq!(fields(&m, "X-Spam-Flag"), ["No"]);
    assert!(pf.delivered("spam2@example.test", Duration::ZERO).is_none());

    // Quarantine instead: the spam is accepted and held by Postfix.
    fs::write(home.path().join("fumi.conf"), "milter-quarantine 0.9\n").expect("fumi.conf");
    milter.signal(libc::SIGHUP);
    assert!(milter.wait_log("reloaded the configuration", 2, wait));
    assert_eq!(send(port, "spam3@example.test", &spam_bytes).0, 250);
    assert!(milter.wait_log("action=quarantine", 1, wait));
    assert!(
        wait_until(wait, || pf
            .maillog()
            .contains("milter-hold: END-OF-MESSAGE")),
        "{}",
        pf.maillog()
    );
    let queue = Command::new("postqueue")
        .arg("-c")
        .arg(&pf.conf)
        .arg("-p")
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .expect("postqueue");
    let queue = String::from_utf8_lossy(&queue.stdout);
    assert!(
        queue.contains("spam3@example.test") && queue.contains('!'),
        "not on hold:\n{queue}"
    );
    assert!(pf.delivered("spam3@example.test", Duration::ZERO).is_none());

    // SIGTERM: a clean stop. Mail keeps flowing, untagged.
    let lines_before = milter.records().len();
    assert_eq!(lines_before, 6, "{}", milter.text());
    milter.signal(libc::SIGTERM);
    let status = milter
        .wait_exit(Duration::from_secs(30))
        .expect("milter stops");
    assert!(status.success(), "{status:?}\n{}", milter.text());
    assert!(milter.text().contains("stopped"));
    assert_eq!(send(port, "ham3@example.test", &ham_bytes).0, 250);
    let m = pf
        .delivered("ham3@example.test", wait)
        .expect("delivered without milter");
    assert!(fields(&m, "X-Spam-Flag").is_empty());
    let refused = format!("connect to Milter service {maddr}");
    assert!(
        wait_until(wait, || pf.maillog().contains(&refused)),
        "{}",
        pf.maillog()
    );
}

#[test]
fn postfix_milter_unix_socket_skips_trusted_networks() {
    if !can_run_postfix() {
        return;
    }
    let (home, test_spam, _) = trained_home();
    let sockdir = tempfile::tempdir().expect("tempdir");
    fs::set_permissions(sockdir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let sock = sockdir.path().join("fumi.sock");
    let maddr = format!("unix:{}", sock.display());
    // Postfix's smtpd runs as the postfix user: the socket must let it in.
    let mut milter = Milter::start(
        home.path(),
        &maddr,
        &[
            "--milter-socket-mode",
            "666",
            "--milter-skip-network",
            "192.0.2.0/24,127.0.0.0/8",
        ],
        sockdir.path().join("milter.log"),
    );
    let mode = fs::metadata(&sock).expect("socket").permissions().mode() & 0o777;
    assert_eq!(mode, 0o666);
    let port = free_port();
    let pf = Postfix::start(&[(port, Some(maddr))]);
    let spam = fs::read(&test_spam[0]).expect("spam");
    assert_eq!(send(port, "trusted@example.test", &spam).0, 250);
    let m = pf
        .delivered("trusted@example.test", Duration::from_secs(30))
        .unwrap_or_else(|| panic!("not delivered:\n{}\n{}", pf.maillog(), milter.text()));
    assert!(fields(&m, "X-Spam-Flag").is_empty(), "{m}");
    let qid = queue_id(&m);
    assert_eq!(
        milter.records(),
        [format!(
            "fumi: milter: {qid}: verdict=skipped, action=accept, client=[127.0.0.1], size=0, time=0.0ms, reason=client network"
        )]
    );
    milter.signal(libc::SIGTERM);
    assert!(
        milter
            .wait_exit(Duration::from_secs(30))
            .is_some_and(|s| s.success())
    );
    assert!(!sock.exists(), "the socket is removed on exit");
}

/// Sends one message in its own session; returns the time from the end
/// of DATA to Postfix's reply.
fn probe_once(port: u16, msg: &[u8]) -> Duration {
    let mut c = Smtp::connect(port);
    let _ = c.cmd("EHLO probe.example");
    let ((code, text), t) = c.send("probe@example.org", "probe@example.test", msg);
    assert_eq!(code, 250, "probe: {text}");
    let _ = c.cmd("QUIT");
    t
}

/// CPU time (user + system) of a process so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces).
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| f.get(i).and_then(|v| v.parse::<u64>().ok()))
        .sum();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_millis(ticks * 1000 / hz)
}

/// Figures of one load run.
struct Run {
    seconds: f64,
    sent: usize,
    delivered: usize,
    /// End of DATA to Postfix's reply, for the probe messages.
    latencies: Vec<Duration>,
}

/// Sends `messages` copies of `msg` over `sessions` parallel SMTP sessions
/// with smtp-source, while a probe sends messages one after another and
/// times Postfix's reply to each end of DATA; then waits for every message
/// to be delivered.
fn load_run(pf: &Postfix, port: u16, msg_file: &Path, messages: usize, sessions: usize) -> Run {
    for f in pf.delivered_files() {
        let _ = fs::remove_file(f);
    }
    let msg = fs::read(msg_file).expect("message");
    let stop = Arc::new(AtomicBool::new(false));
    let probe = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut lat = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                lat.push(probe_once(port, &msg));
                std::thread::sleep(Duration::from_millis(20));
            }
            lat
        })
    };
    let start = Instant::now();
    let out = Command::new("smtp-source")
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .args(["-s", &sessions.to_string(), "-m", &messages.to_string()])
        .arg("-F")
        .arg(msg_file)
        .args(["-f", "load@example.org", "-t", "load@example.test"])
        .arg(format!("127.0.0.1:{port}"))
        .output()
        .expect("smtp-source");
    let seconds = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::SeqCst);
    let latencies = probe.join().expect("probe");
    assert!(
        out.status.success(),
        "smtp-source: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = messages + latencies.len();
    let mut delivered = 0;
    let mut last_change = Instant::now();
    while delivered < expected && last_change.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(200));
        let n = pf.delivered_files().len();
        if n != delivered {
            delivered = n;
            last_change = Instant::now();
        }
    }
    Run {
        seconds,
        sent: expected,
        delivered,
        latencies,
    }
}

/// Delivered messages without exactly one X-Spam-Flag.
fn untagged(pf: &Postfix) -> usize {
    pf.delivered_files()
        .iter()
        .filter(|p| {
            let text = String::from_utf8_lossy(&fs::read(p).unwrap_or_default()).into_owned();
            fields(&text, "X-Spam-Flag").len() != 1
        })
        .count()
}

fn percentile(v: &[Duration], q: f64) -> f64 {
    let mut ms: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    if ms.is_empty() {
        return f64::NAN;
    }
    let i = ((ms.len() - 1) as f64 * q).round() as usize;
    ms[i]
}

/// A spam from the untrained half of the sample, of median size.
fn load_message(test_spam: &[PathBuf]) -> PathBuf {
    let mut v: Vec<(u64, PathBuf)> = test_spam
        .iter()
        .map(|p| (fs::metadata(p).expect("size").len(), p.clone()))
        .collect();
    v.sort();
    v[v.len() / 2].1.clone()
}

#[test]
fn postfix_milter_load_500() {
    if !can_run_postfix() || !require_program("smtp-source") {
        return;
    }
    let (home, test_spam, _) = trained_home();
    let msg = load_message(&test_spam);
    let logs = tempfile::tempdir().expect("tempdir");
    let maddr = format!("inet:127.0.0.1:{}", free_port());
    let milter = Milter::start(home.path(), &maddr, &[], logs.path().join("milter.log"));
    let port = free_port();
    let pf = Postfix::start(&[(port, Some(maddr))]);
    let run = load_run(&pf, port, &msg, 500, 25);
    eprintln!(
        "500 messages over 25 sessions through the milter: {:.1} s, {:.0} messages/s; {} probes, end of DATA p50 {:.1} ms, max {:.1} ms",
        run.seconds,
        500.0 / run.seconds,
        run.latencies.len(),
        percentile(&run.latencies, 0.5),
        percentile(&run.latencies, 1.0)
    );
    assert_eq!(run.delivered, run.sent, "lost messages\n{}", pf.maillog());
    assert_eq!(untagged(&pf), 0);
    assert_eq!(milter.records().len(), run.sent, "{}", milter.text());
    assert!(!milter.text().contains("verdict=error"));
}

/// `contrib/bench/milter-load.sh`: FUMI_LOAD_MESSAGES (10000) messages over
/// FUMI_LOAD_SESSIONS (50) sessions to three smtpd ports in turn, all on one
/// Postfix: without a milter, with fumi's milter, and with a second fumi
/// milter that lets every message pass unscanned (`--milter-skip-network`:
/// the cost of the milter protocol itself); FUMI_LOAD_ROUNDS (3) times.
#[test]
#[ignore = "benchmark, several minutes: contrib/bench/milter-load.sh"]
fn milter_load_benchmark() {
    if !can_run_postfix() || !require_program("smtp-source") {
        return;
    }
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let messages = env("FUMI_LOAD_MESSAGES", 10_000);
    let sessions = env("FUMI_LOAD_SESSIONS", 50);
    let rounds = env("FUMI_LOAD_ROUNDS", 3);
    let (home, test_spam, _) = trained_home();
    let msg = load_message(&test_spam);
    let logs = tempfile::tempdir().expect("tempdir");
    let scan_addr = format!("inet:127.0.0.1:{}", free_port());
    let scan = Milter::start(home.path(), &scan_addr, &[], logs.path().join("scan.log"));
    let pass_addr = format!("inet:127.0.0.1:{}", free_port());
    let pass = Milter::start(
        home.path(),
        &pass_addr,
        &["--milter-skip-network", "127.0.0.0/8"],
        logs.path().join("pass.log"),
    );
    // (name, smtpd port, milter)
    let modes = [
        ("none", free_port(), None),
        ("fumi", free_port(), Some(&scan)),
        ("pass", free_port(), Some(&pass)),
    ];
    let pf = Postfix::start(&[
        (modes[0].1, None),
        (modes[1].1, Some(scan_addr)),
        (modes[2].1, Some(pass_addr)),
    ]);
    println!(
        "message: {} ({} bytes); {messages} messages over {sessions} sessions per run",
        msg.display(),
        fs::metadata(&msg).expect("size").len()
    );

    // Unloaded: one message at a time, the ports in turn.
    let bytes = fs::read(&msg).expect("message");
    let mut idle: Vec<Vec<Duration>> = vec![Vec::new(); modes.len()];
    for _ in 0..200 {
        for (i, m) in modes.iter().enumerate() {
            idle[i].push(probe_once(m.1, &bytes));
        }
    }
    let total: usize = idle.iter().map(Vec::len).sum();
    assert!(
        wait_until(Duration::from_secs(120), || pf.delivered_files().len()
            == total),
        "unloaded probes not delivered"
    );
    for (m, v) in modes.iter().zip(&idle) {
        println!(
            "unloaded, milter {:<4}: {} messages one at a time, end of DATA to reply: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            m.0,
            v.len(),
            percentile(v, 0.5),
            percentile(v, 0.99),
            percentile(v, 1.0)
        );
    }

    println!(
        "{:<6} {:>5} {:>8} {:>7} {:>6} {:>5} {:>6} {:>7} {:>7} {:>7} {:>11}",
        "milter",
        "round",
        "seconds",
        "msg/s",
        "sent",
        "lost",
        "probes",
        "p50 ms",
        "p99 ms",
        "max ms",
        "fumi cpu"
    );
    // Per mode: (msg/s, p50, p99, max) of each round.
    let mut table: Vec<Vec<[f64; 4]>> = vec![Vec::new(); modes.len()];
    for round in 1..=rounds {
        for (i, (name, port, milter)) in modes.iter().enumerate() {
            let before = milter.map(|m| (m.records().len(), cpu_time(m.child.id())));
            let r = load_run(&pf, *port, &msg, messages, sessions);
            assert_eq!(r.delivered, r.sent, "lost messages ({name})");
            let mut cpu = "-".to_string();
            if let (Some(m), Some((lines, cpu_before))) = (milter, before) {
                assert_eq!(m.records().len() - lines, r.sent, "log lines ({name})");
                let used = cpu_time(m.child.id()) - cpu_before;
                cpu = format!("{:.2} ms/msg", used.as_secs_f64() * 1000.0 / r.sent as f64);
            }
            if *name == "fumi" {
                assert_eq!(untagged(&pf), 0, "messages without X-Spam-Flag");
            }
            let row = [
                messages as f64 / r.seconds,
                percentile(&r.latencies, 0.5),
                percentile(&r.latencies, 0.99),
                percentile(&r.latencies, 1.0),
            ];
            println!(
                "{name:<6} {round:>5} {:>8.1} {:>7.0} {:>6} {:>5} {:>6} {:>7.1} {:>7.1} {:>7.1} {cpu:>11}",
                r.seconds,
                row[0],
                r.sent,
                r.sent - r.delivered,
                r.latencies.len(),
                row[1],
                row[2],
                row[3]
            );
            table[i].push(row);
        }
    }
    let median = |i: usize, k: usize| {
        let mut v: Vec<f64> = table[i].iter().map(|r| r[k]).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    for (k, what) in ["msg/s", "p50 ms", "p99 ms", "max ms"].iter().enumerate() {
        let (none, fumi, pass) = (median(0, k), median(1, k), median(2, k));
        println!(
            "median {what:<7} none {none:>7.1}  fumi {fumi:>7.1} ({:.2}x)  pass {pass:>7.1} ({:.2}x)",
            fumi / none,
            pass / none
        );
    }
    let times: Vec<f64> = scan
        .records()
        .iter()
        .filter_map(|l| {
            let t = l.split("time=").nth(1)?;
            t.split("ms").next()?.parse().ok()
        })
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "fumi scoring time per message ({} messages): median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN),
        sorted
            .get((sorted.len() as f64 * 0.99) as usize)
            .copied()
            .unwrap_or(f64::NAN),
        sorted.last().copied().unwrap_or(f64::NAN)
    );
}

#[test]
fn postfix_milter_scores_the_start_of_a_large_message_and_passes_it_whole() {
    if !can_run_postfix() {
        return;
    }
    let (home, _, test_ham) = trained_home();
    let logs = tempfile::tempdir().expect("tempdir");
    let maddr = format!("inet:127.0.0.1:{}", free_port());
    let milter = Milter::start(
        home.path(),
        &maddr,
        &["--max-message-size", "100000"],
        logs.path().join("milter.log"),
    );
    let port = free_port();
    let pf = Postfix::start(&[(port, Some(maddr))]);
    let mut msg = fs::read(&test_ham[0]).expect("ham");
    if !msg.ends_with(b"\n") {
        msg.push(b'\n');
    }
    for i in 0..8000 {
        msg.extend_from_slice(format!("padding line {i:05} of a long message\n").as_bytes());
    }
    msg.extend_from_slice(b"the last line\n");
    assert_eq!(send(port, "large@example.test", &msg).0, 250);
    let m = pf
        .delivered("large@example.test", Duration::from_secs(30))
        .unwrap_or_else(|| panic!("not delivered:\n{}\n{}", pf.maillog(), milter.text()));
    assert_eq!(fields(&m, "X-Spam-Flag").len(), 1);
    assert!(m.contains("padding line 07999 of a long message\nthe last line\n"));
    let records = milter.records();
    assert_eq!(records.len(), 1, "{}", milter.text());
    assert!(
        records[0].contains("reason=scanned the first --max-message-size bytes"),
        "{}",
        records[0]
    );
    // The MTA stopped sending the body once fumi had enough.
    let size: usize = records[0]
        .split("size=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.parse().ok())
        .expect("size");
    assert!(size < msg.len() / 2, "{size} of {}", msg.len());
}
