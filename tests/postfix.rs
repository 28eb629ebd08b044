//! The Postfix setups in contrib/postfix, run by a real Postfix on a
//! loopback port with its own configuration and queue in a temporary
//! directory: a spam and a ham sent over SMTP land in the right Maildir
//! folders with fumi's headers.
//!
//! The services are taken from contrib/postfix/master.cf and main.cf; only
//! paths and the account are replaced (the test's temporary directory, the
//! binary under test, and `nobody` instead of the `vmail` / `fumi` accounts
//! an installation creates). Postfix must run as root.

mod common;
mod mailsetup;

use std::path::{Path, PathBuf};
use std::process::Command;

use mailsetup::*;

/// `text` with `from` replaced by `to`; `from` must occur (so that the test
/// fails when contrib/ changes under it).
fn subst(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not found in:\n{text}");
    text.replace(from, to)
}

/// The master.cf service `name` from contrib/postfix/master.cf: its line
/// and the continuation lines under it.
fn service(name: &str) -> String {
    let text = read_repo("contrib/postfix/master.cf");
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with(char::is_whitespace) {
            if inside {
                out.push_str(line);
                out.push('\n');
            }
            continue;
        }
        inside = line.split_whitespace().next() == Some(name);
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(
        !out.is_empty(),
        "no service {name} in contrib/postfix/master.cf"
    );
    out
}

/// The settings of contrib/postfix/main.cf (its lines that are not comments).
fn main_cf_settings() -> String {
    read_repo("contrib/postfix/main.cf")
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A Postfix instance in `root`; stopped when dropped.
struct Postfix {
    conf: PathBuf,
    root: PathBuf,
    as_default: bool,
}

impl Postfix {
    /// Writes main.cf (the plumbing of a private instance, then `main`) and
    /// master.cf (the internal services, an smtpd on 127.0.0.1:`port` with
    /// `smtpd_opts`, then `master`) and starts Postfix.
    ///
    /// `as_default`: the instance is started in a private mount namespace
    /// with its configuration directory mounted on /etc/postfix, so that it
    /// is the default instance there. Only then do sendmail and postdrop
    /// (set-gid) accept it from an unprivileged user: they take another
    /// configuration directory only from root or when the system's own
    /// /etc/postfix/main.cf lists it, which a test must not edit. The mount
    /// is not visible outside the namespace.
    fn start(
        root: &Path,
        port: u16,
        smtpd_opts: &str,
        main: &str,
        master: &str,
        as_default: bool,
    ) -> Postfix {
        let conf = root.join("etc");
        let queue = root.join("queue");
        let data = root.join("data");
        for d in [&conf, &queue, &data] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        let (postfix_uid, postfix_gid) = user("postfix");
        chown_tree(&data, postfix_uid, postfix_gid);
        if as_default {
            // What the package installs there besides main.cf and master.cf
            // (postfix-files, dynamicmaps.cf, ...): postfix check reads it.
            copy_tree(Path::new("/etc/postfix"), &conf, &["main.cf", "master.cf"]);
        }
        let r = root.display();
        std::fs::write(
            conf.join("main.cf"),
            format!(
                "compatibility_level = 3.6\n\
                 queue_directory = {r}/queue\n\
                 data_directory = {r}/data\n\
                 command_directory = /usr/sbin\n\
                 daemon_directory = /usr/lib/postfix/sbin\n\
                 shlib_directory = /usr/lib/postfix\n\
                 meta_directory = /etc/postfix\n\
                 mail_owner = postfix\n\
                 setgid_group = postdrop\n\
                 myhostname = mx.example.org\n\
                 mydomain = example.org\n\
                 inet_interfaces = 127.0.0.1\n\
                 inet_protocols = ipv4\n\
                 mynetworks = 127.0.0.0/8\n\
                 mydestination =\n\
                 local_recipient_maps =\n\
                 alias_maps =\n\
                 alias_database =\n\
                 relay_domains =\n\
                 default_transport = error\n\
                 relay_transport = error\n\
                 biff = no\n\
                 smtputf8_enable = no\n\
                 maillog_file = {r}/maillog\n\
                 maillog_file_prefixes = {r}\n\
                 {main}"
            ),
        )
        .expect("main.cf");
        std::fs::write(
            conf.join("master.cf"),
            format!(
                "127.0.0.1:{port} inet n - n - - smtpd {smtpd_opts}\n\
                 pickup    unix  n - n 60   1 pickup\n\
                 cleanup   unix  n - n -    0 cleanup\n\
                 qmgr      unix  n - n 300  1 qmgr\n\
                 rewrite   unix  - - n -    - trivial-rewrite\n\
                 bounce    unix  - - n -    0 bounce\n\
                 defer     unix  - - n -    0 bounce\n\
                 trace     unix  - - n -    0 bounce\n\
                 verify    unix  - - n -    1 verify\n\
                 flush     unix  n - n 1000 0 flush\n\
                 proxymap  unix  - - n -    - proxymap\n\
                 showq     unix  n - n -    - showq\n\
                 error     unix  - - n -    - error\n\
                 retry     unix  - - n -    - error\n\
                 discard   unix  - - n -    - discard\n\
                 anvil     unix  - - n -    1 anvil\n\
                 scache    unix  - - n -    1 scache\n\
                 postlog   unix-dgram n - n - 1 postlogd\n\
                 virtual   unix  - n n -    - virtual\n\
                 {master}"
            ),
        )
        .expect("master.cf");
        let out = if as_default {
            Command::new("unshare")
                .args(["--mount", "--propagation", "private", "sh", "-c"])
                .arg("mount --bind \"$1\" /etc/postfix && exec postfix start")
                .arg("sh")
                .arg(&conf)
                .output()
                .expect("unshare postfix start")
        } else {
            Command::new("postfix")
                .arg("-c")
                .arg(&conf)
                .arg("start")
                .output()
                .expect("postfix start")
        };
        let pf = Postfix {
            conf,
            root: root.to_path_buf(),
            as_default,
        };
        assert!(
            out.status.success(),
            "postfix start: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            pf.log()
        );
        assert!(
            wait_for_port(port, 20),
            "smtpd does not listen\n{}",
            pf.log()
        );
        pf
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("maillog")).unwrap_or_default()
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let pid =
            std::fs::read_to_string(self.root.join("queue/pid/master.pid")).unwrap_or_default();
        let pid = pid.trim().to_string();
        // The namespaced instance is not reachable with `postfix -c`; what
        // postfix stop does then: SIGTERM to the master, which ends its
        // children.
        let stopped = !self.as_default
            && Command::new("postfix")
                .arg("-c")
                .arg(&self.conf)
                .arg("stop")
                .output()
                .is_ok_and(|o| o.status.success());
        if pid.parse::<u32>().is_ok() {
            if !stopped {
                let _ = Command::new("kill").args(["-TERM", &pid]).output();
            }
            let gone = wait_until(10, || !Path::new("/proc").join(&pid).exists());
            if !gone {
                let _ = Command::new("kill").args(["-KILL", &pid]).output();
            }
        }
    }
}

/// Copies a directory tree (files and directories; links as their
/// targets), leaving out the top-level names in `skip`.
fn copy_tree(from: &Path, to: &Path, skip: &[&str]) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let name = e.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        if src.is_dir() {
            copy_tree(&src, &dst, &[]);
        } else if src.exists() {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// A world-readable root for the instance and the mailboxes (the delivery
/// runs as `nobody`), with a copy of the binary under test in it (the
/// source tree may be in a directory `nobody` cannot enter).
fn root() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    chmod(tmp.path(), 0o755);
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::fs::copy(common::bin(), bin.join("fumi")).expect("copy fumi");
    (tmp, bin)
}

fn wait_for_mail(pf: &Postfix, dirs: &[PathBuf], n: usize) {
    let count = || dirs.iter().map(|d| maildir(d).len()).sum::<usize>();
    let ok = wait_until(30, || count() >= n);
    assert!(ok, "{} of {n} messages delivered\n{}", count(), pf.log());
    // Nothing more arrives (no loop, no duplicate).
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(count(), n, "{}", pf.log());
}

/// Waits for the log line of a delivery through `relay` that was deferred
/// (a temporary failure: the message stays in the queue).
fn assert_deferred(pf: &Postfix, relay: &str) {
    let want = format!("relay={relay},");
    let deferred = || {
        pf.log()
            .lines()
            .any(|l| l.contains(&want) && l.contains("status=deferred"))
    };
    assert!(
        wait_until(30, deferred),
        "no deferred delivery through {relay}:\n{}",
        pf.log()
    );
}

/// Setup 1: virtual mailboxes delivered through procmail with
/// contrib/procmail/procmailrc; spam goes to the recipient's Junk folder.
#[test]
fn delivery_through_procmail_files_spam() {
    if !common::require_program("postfix")
        || !common::require_program("procmail")
        || !require_root("Postfix")
    {
        return;
    }
    let (db, spam, ham) = trained_pair();
    let (tmp, bin) = root();
    let r = tmp.path();
    let (uid, gid) = user("nobody");

    std::fs::create_dir_all(r.join("fumi")).expect("mkdir");
    std::fs::write(
        r.join("fumi/procmailrc"),
        read_repo("contrib/procmail/procmailrc"),
    )
    .expect("rc");
    let home = r.join("vmail/example.org/alice");
    mail_home(&home, Some(db.path()));
    chown_tree(&r.join("vmail"), uid, gid);

    let mut master = service("procmail");
    master = subst(&master, "user=vmail", "user=nobody");
    master = subst(&master, "/var/vmail/", &format!("{}/vmail/", r.display()));
    master = subst(
        &master,
        "PATH=/usr/local/bin:",
        &format!("PATH={}:", bin.display()),
    );
    master = subst(
        &master,
        "/etc/fumi/procmailrc",
        &r.join("fumi/procmailrc").display().to_string(),
    );
    let main = subst(
        &main_cf_settings(),
        "hash:/etc/postfix/vmailbox",
        "inline:{ alice@example.org=alice }",
    );

    let port = common::free_port();
    let pf = Postfix::start(r, port, "", &main, &master, false);
    send_mail(
        port,
        false,
        "sender@example.net",
        "alice@example.org",
        &spam,
    );
    send_mail(port, false, "sender@example.net", "alice@example.org", &ham);

    let junk = home.join("Maildir/.Junk");
    let inbox = home.join("Maildir");
    wait_for_mail(&pf, &[junk.clone(), inbox.clone()], 2);
    let (junk, inbox) = (maildir(&junk), maildir(&inbox));
    assert_eq!(
        (junk.len(), inbox.len()),
        (1, 1),
        "{}\n{}",
        tree(&home),
        pf.log()
    );
    assert_filtered(&junk[0], &spam, "Yes");
    assert_filtered(&inbox[0], &ham, "No");
    for m in [&junk[0], &inbox[0]] {
        // pipe(8)'s D flag: the first Delivered-To is Postfix's.
        assert_eq!(
            header(m, "Delivered-To").first().map(String::as_str),
            Some("alice@example.org")
        );
    }

    // fumi gone: procmail tempfails, Postfix keeps the message (deferred).
    std::fs::remove_file(bin.join("fumi")).expect("rm fumi");
    send_mail(port, false, "sender@example.net", "alice@example.org", &ham);
    assert_deferred(&pf, "procmail");
    assert_eq!(
        maildir(&home.join("Maildir")).len() + maildir(&home.join("Maildir/.Junk")).len(),
        2
    );
    drop(pf);
}

/// Setup 2: the content filter; every message received over SMTP goes
/// through contrib/postfix/postfix-filter and is reinjected with sendmail,
/// then delivered by virtual(8) with fumi's headers. The instance runs as
/// the default one in a private mount namespace (see [`Postfix::start`]).
#[test]
fn content_filter_adds_headers_before_delivery() {
    if !common::require_program("postfix")
        || !common::require_program("unshare")
        || !require_root("Postfix")
    {
        return;
    }
    let (db, spam, ham) = trained_pair();
    let (tmp, bin) = root();
    let r = tmp.path();
    let (uid, gid) = user("nobody");

    let mut script = read_repo("contrib/postfix/postfix-filter");
    script = subst(
        &script,
        "FUMI=/usr/local/bin/fumi",
        &format!("FUMI={}/fumi", bin.display()),
    );
    script = subst(
        &script,
        "FUMI_HOME=/var/lib/fumi",
        &format!("FUMI_HOME={}/fumi-db", r.display()),
    );
    let filter = bin.join("postfix-filter");
    std::fs::write(&filter, script).expect("script");
    chmod(&filter, 0o755);
    std::fs::create_dir_all(r.join("fumi-db")).expect("mkdir");
    std::fs::copy(db.path().join("data.mdb"), r.join("fumi-db/data.mdb")).expect("copy db");
    chown_tree(&r.join("fumi-db"), uid, gid);
    let home = r.join("vmail/example.org/alice");
    mail_home(&home, None);
    chown_tree(&r.join("vmail"), uid, gid);

    let mut master = service("fumi");
    master = subst(&master, "user=fumi", "user=nobody");
    master = subst(
        &master,
        "/usr/local/lib/fumi/postfix-filter",
        &filter.display().to_string(),
    );
    let main = format!(
        "virtual_mailbox_domains = example.org\n\
         virtual_mailbox_base = {}/vmail\n\
         virtual_mailbox_maps = inline:{{ alice@example.org=example.org/alice/Maildir/ }}\n\
         virtual_uid_maps = static:{uid}\n\
         virtual_gid_maps = static:{gid}\n",
        r.display()
    );

    let port = common::free_port();
    let pf = Postfix::start(
        r,
        port,
        "-o content_filter=fumi:dummy",
        &main,
        &master,
        true,
    );
    send_mail(
        port,
        false,
        "sender@example.net",
        "alice@example.org",
        &spam,
    );
    send_mail(port, false, "sender@example.net", "alice@example.org", &ham);

    let inbox = home.join("Maildir");
    wait_for_mail(&pf, std::slice::from_ref(&inbox), 2);
    let inbox = maildir(&inbox);
    let (s, h): (Vec<&Vec<u8>>, Vec<&Vec<u8>>) = inbox
        .iter()
        .partition(|m| header(m, "X-Spam-Flag") == ["Yes"]);
    assert_eq!((s.len(), h.len()), (1, 1), "{}", pf.log());
    assert_filtered(s[0], &spam, "Yes");
    assert_filtered(h[0], &ham, "No");
    assert!(
        pf.log().contains("relay=fumi"),
        "not filtered by the fumi service:\n{}",
        pf.log()
    );

    // fumi gone: the script exits 75, Postfix keeps the message (deferred).
    std::fs::remove_file(bin.join("fumi")).expect("rm fumi");
    send_mail(port, false, "sender@example.net", "alice@example.org", &ham);
    assert_deferred(&pf, "fumi");
    assert_eq!(maildir(&home.join("Maildir")).len(), 2);
    drop(pf);
}
