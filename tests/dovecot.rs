//! The Dovecot setup in contrib/dovecot, run by a real Dovecot on loopback
//! with its own configuration in a temporary directory (`dovecot -c`), a
//! passwd-file user and a Maildir:
//! * delivery (LMTP and dovecot-lda) with the global sieve script: spam lands in Junk and ham
//!   in the inbox, with fumi's headers;
//! * learning on move (IMAPSieve): an IMAP client moves a message into Junk
//!   and fumi's spam count rises by one; moving it back out moves it to
//!   clean; moving a message from Junk to Trash teaches nothing.
//!
//! contrib/dovecot/90-fumi.conf is included as it is, with only its paths
//! replaced by the test's. Dovecot must run as root (it switches to the mail
//! user, `nobody` here).

mod common;
mod mailsetup;

use std::path::{Path, PathBuf};
use std::process::Command;

use mailsetup::*;

/// `text` with `from` replaced by `to`; `from` must occur.
fn subst(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not found in:\n{text}");
    text.replace(from, to)
}

/// A Dovecot instance; stopped when dropped.
struct Dovecot {
    conf: PathBuf,
    root: PathBuf,
}

impl Dovecot {
    fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let pid = std::fs::read_to_string(self.root.join("run/master.pid")).unwrap_or_default();
        let _ = Command::new("dovecot")
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .output();
        let pid = pid.trim();
        if pid.parse::<u32>().is_ok() {
            let gone = wait_until(10, || !Path::new("/proc").join(pid).exists());
            if !gone {
                let _ = Command::new("kill").args(["-KILL", pid]).output();
            }
        }
    }
}

/// Fields drop in order: Dovecot stops before its directory is removed.
struct Setup {
    dovecot: Dovecot,
    _tmp: tempfile::TempDir,
    home: PathBuf,
    fumi: PathBuf,
    uid: u32,
    gid: u32,
    imap: u16,
    lmtp: u16,
}

impl Setup {
    /// `fumi --show-db-status` as the mail user (as root, fumi would create
    /// LMDB's lock file owned by root, which the mail user could not open).
    fn counts(&self) -> (u64, u64) {
        let out = Command::new("setpriv")
            .arg(format!("--reuid={}", self.uid))
            .arg(format!("--regid={}", self.gid))
            .arg("--clear-groups")
            .arg(&self.fumi)
            .arg("--homedir")
            .arg(self.home.join(".fumi"))
            .arg("--show-db-status")
            .output()
            .expect("setpriv fumi");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let get = |k: &str| -> u64 {
            text.lines()
                .filter_map(|l| l.split_once('\t'))
                .find(|(key, _)| *key == k)
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or_else(|| panic!("{k} in {text}"))
        };
        (get("spam_messages"), get("clean_messages"))
    }
}

/// Starts Dovecot with contrib/dovecot, for the user alice@example.org
/// (uid nobody) whose home holds a copy of the trained database.
fn start(db: &Path) -> Setup {
    let tmp = tempfile::tempdir().expect("tempdir");
    let r = tmp.path().to_path_buf();
    chmod(&r, 0o755);
    let (uid, gid) = user("nobody");

    // Programs and sieve scripts from contrib/, with the test's paths.
    let bin = r.join("bin");
    let lib = r.join("lib");
    let sieve = r.join("sieve");
    for d in [&bin, &lib, &sieve] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let fumi = bin.join("fumi");
    std::fs::copy(common::bin(), &fumi).expect("copy fumi");
    for prog in ["fumi-filter", "fumi-learn-spam", "fumi-learn-clean"] {
        let text = subst(
            &read_repo(&format!("contrib/dovecot/bin/{prog}")),
            "/usr/local/bin/fumi",
            &fumi.display().to_string(),
        );
        std::fs::write(lib.join(prog), text).expect("write");
        chmod(&lib.join(prog), 0o755);
    }
    let mut fumi_conf = read_repo("contrib/dovecot/90-fumi.conf");
    fumi_conf = subst(
        &fumi_conf,
        "/usr/local/lib/fumi/dovecot",
        &lib.display().to_string(),
    );
    fumi_conf = subst(
        &fumi_conf,
        "/etc/dovecot/sieve",
        &sieve.display().to_string(),
    );
    std::fs::write(r.join("90-fumi.conf"), fumi_conf).expect("write");

    // The user: passwd-file, home with the database, Maildir made by Dovecot.
    let home = r.join("vmail/example.org/alice");
    std::fs::create_dir_all(home.join(".fumi")).expect("mkdir");
    std::fs::copy(db.join("data.mdb"), home.join(".fumi/data.mdb")).expect("copy db");
    chown_tree(&r.join("vmail"), uid, gid);
    std::fs::write(
        r.join("users"),
        format!(
            "alice@example.org:{{PLAIN}}secret:{uid}:{gid}::{}::\n",
            home.display()
        ),
    )
    .expect("users");

    let (imap, lmtp) = (common::free_port(), common::free_port());
    let rd = r.display();
    let conf = r.join("dovecot.conf");
    std::fs::write(
        &conf,
        format!(
            "base_dir = {rd}/run\n\
             state_dir = {rd}/state\n\
             instance_name = fumi-test\n\
             protocols = imap lmtp\n\
             listen = 127.0.0.1\n\
             log_path = {rd}/dovecot.log\n\
             ssl = no\n\
             disable_plaintext_auth = no\n\
             auth_mechanisms = plain\n\
             default_internal_user = dovecot\n\
             default_internal_group = dovecot\n\
             default_login_user = dovenull\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {rd}/users\n}}\n\
             userdb {{\n  driver = passwd-file\n  args = username_format=%u {rd}/users\n}}\n\
             mail_location = maildir:~/Maildir\n\
             namespace inbox {{\n  inbox = yes\n  separator = /\n\
               mailbox Junk {{\n    special_use = \\Junk\n    auto = create\n  }}\n\
               mailbox Trash {{\n    special_use = \\Trash\n    auto = create\n  }}\n}}\n\
             postmaster_address = postmaster@example.org\n\
             service imap-login {{\n  inet_listener imap {{\n    port = {imap}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service lmtp {{\n  inet_listener lmtp {{\n    port = {lmtp}\n  }}\n}}\n\
             !include {rd}/90-fumi.conf\n"
        ),
    )
    .expect("dovecot.conf");

    // The sieve scripts, compiled as an administrator would (Dovecot runs
    // them as the mail user, who cannot write next to them).
    for s in ["fumi-deliver", "fumi-learn-spam", "fumi-learn-clean"] {
        let path = sieve.join(format!("{s}.sieve"));
        std::fs::copy(repo(&format!("contrib/dovecot/sieve/{s}.sieve")), &path)
            .expect("copy sieve");
        let out = Command::new("sievec")
            .arg("-c")
            .arg(&conf)
            .arg(&path)
            .output()
            .expect("sievec");
        assert!(
            out.status.success(),
            "sievec {s}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // The master keeps the descriptors it was started with: not pipes,
    // which Command::output() would wait on forever.
    let start_log = r.join("dovecot-start.log");
    let log_file = std::fs::File::create(&start_log).expect("create");
    let status = Command::new("dovecot")
        .arg("-c")
        .arg(&conf)
        .stdin(std::process::Stdio::null())
        .stdout(log_file.try_clone().expect("dup"))
        .stderr(log_file)
        .status()
        .expect("dovecot");
    let dovecot = Dovecot {
        conf,
        root: r.clone(),
    };
    assert!(
        status.success(),
        "dovecot: {}\n{}",
        std::fs::read_to_string(&start_log).unwrap_or_default(),
        dovecot.log()
    );
    assert!(
        wait_for_port(imap, 20) && wait_for_port(lmtp, 20),
        "Dovecot does not listen\n{}",
        dovecot.log()
    );
    Setup {
        dovecot,
        _tmp: tmp,
        home,
        fumi,
        uid,
        gid,
        imap,
        lmtp,
    }
}

fn required() -> bool {
    common::require_program("dovecot")
        && common::require_program("sievec")
        && common::require_program("setpriv")
        && require_root("Dovecot")
}

/// Delivery through the global sieve script, over LMTP and by dovecot-lda
/// (as Postfix's mailbox_command would run it).
#[test]
fn delivery_files_spam_into_junk() {
    if !required() || !common::require_program("/usr/lib/dovecot/dovecot-lda") {
        return;
    }
    let (db, spam_msgs, ham_msgs) = common::trained_home();
    let spam = pick(db.path(), &spam_msgs, "spam");
    let ham = pick(db.path(), &ham_msgs, "clean");
    let spam2 = pick(db.path(), &without(&spam_msgs, &spam), "spam");
    let ham2 = pick(db.path(), &without(&ham_msgs, &ham), "clean");
    let [spam, ham, spam2, ham2] =
        [spam, ham, spam2, ham2].map(|p| std::fs::read(p).expect("read"));
    let s = start(db.path());
    let (junk_dir, inbox_dir) = (s.home.join("Maildir/.Junk"), s.home.join("Maildir"));

    for m in [&spam, &ham] {
        send_mail(s.lmtp, true, "sender@example.net", "alice@example.org", m);
    }
    let (junk, inbox) = (maildir(&junk_dir), maildir(&inbox_dir));
    assert_eq!(
        (junk.len(), inbox.len()),
        (1, 1),
        "LMTP\n{}\n{}",
        tree(&s.home),
        s.dovecot.log()
    );
    assert_filtered(&junk[0], &spam, "Yes");
    assert_filtered(&inbox[0], &ham, "No");

    for m in [&spam2, &ham2] {
        let out = common::run_with_input(
            Command::new("/usr/lib/dovecot/dovecot-lda")
                .arg("-c")
                .arg(&s.dovecot.conf)
                .args(["-d", "alice@example.org", "-f", "sender@example.net"]),
            m,
        );
        assert!(
            out.status.success(),
            "dovecot-lda: {:?} {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            s.dovecot.log()
        );
    }
    let (junk, inbox) = (maildir(&junk_dir), maildir(&inbox_dir));
    assert_eq!(
        (junk.len(), inbox.len()),
        (2, 2),
        "LDA\n{}\n{}",
        tree(&s.home),
        s.dovecot.log()
    );
    let new_one = |v: &[Vec<u8>], id: &[u8]| -> Vec<u8> {
        let want = header(id, "Message-ID");
        v.iter()
            .find(|m| header(m, "Message-ID") == want)
            .cloned()
            .expect("delivered")
    };
    assert_filtered(&new_one(&junk, &spam2), &spam2, "Yes");
    assert_filtered(&new_one(&inbox, &ham2), &ham2, "No");
}

fn without(v: &[PathBuf], p: &Path) -> Vec<PathBuf> {
    v.iter().filter(|q| *q != p).cloned().collect()
}

/// The UID of the message with this Message-ID in the selected mailbox.
fn uid_of(imap: &mut Imap, message_id: &str) -> u32 {
    let lines = imap.cmd(&format!("UID SEARCH HEADER Message-ID \"{message_id}\""));
    let uids: Vec<u32> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .flat_map(|l| l.split_whitespace().filter_map(|u| u.parse().ok()))
        .collect();
    assert_eq!(uids.len(), 1, "{message_id}: {lines:?}");
    uids[0]
}

/// IMAPSieve: into Junk = spam, out of Junk = clean (a move), into Trash =
/// nothing.
#[test]
fn imap_moves_teach_fumi() {
    if !required() {
        return;
    }
    let (db, _spam_msgs, ham_msgs) = common::trained_home();
    // Two clean messages fumi has not learned.
    let ham = pick(db.path(), &ham_msgs, "clean");
    let ham2 = pick(db.path(), &without(&ham_msgs, &ham), "clean");
    let (ham, ham2) = (
        std::fs::read(ham).expect("read"),
        std::fs::read(ham2).expect("read"),
    );
    let id = header(&ham, "Message-ID").pop().expect("Message-ID");
    let id2 = header(&ham2, "Message-ID").pop().expect("Message-ID");

    let s = start(db.path());
    let mut imap = Imap::connect(s.imap);
    imap.cmd("LOGIN alice@example.org secret");
    imap.append("INBOX", &ham);
    imap.append("INBOX", &ham2);
    let (spam0, clean0) = s.counts();

    // Into Junk: learned as spam.
    imap.cmd("SELECT INBOX");
    let uid = uid_of(&mut imap, &id);
    imap.cmd(&format!("UID MOVE {uid} Junk"));
    assert_eq!(
        s.counts(),
        (spam0 + 1, clean0),
        "move into Junk\n{}",
        s.dovecot.log()
    );

    // Back to the inbox: moved from spam to clean.
    imap.cmd("SELECT Junk");
    let uid = uid_of(&mut imap, &id);
    imap.cmd(&format!("UID MOVE {uid} INBOX"));
    assert_eq!(
        s.counts(),
        (spam0, clean0 + 1),
        "move out of Junk\n{}",
        s.dovecot.log()
    );

    // A copy into Junk is learned too; deleting it from Junk (a move to
    // Trash) teaches nothing.
    imap.cmd("SELECT INBOX");
    let uid = uid_of(&mut imap, &id2);
    imap.cmd(&format!("UID COPY {uid} Junk"));
    assert_eq!(
        s.counts(),
        (spam0 + 1, clean0 + 1),
        "copy into Junk\n{}",
        s.dovecot.log()
    );
    imap.cmd("SELECT Junk");
    let uid = uid_of(&mut imap, &id2);
    imap.cmd(&format!("UID MOVE {uid} Trash"));
    assert_eq!(
        s.counts(),
        (spam0 + 1, clean0 + 1),
        "move to Trash\n{}",
        s.dovecot.log()
    );
    imap.cmd("LOGOUT");
}
