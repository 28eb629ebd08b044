//! The maildrop recipe in contrib/maildrop, run by the real maildrop: a spam
//! and a ham land in the right Maildir folders with fumi's headers; a broken
//! database or a missing fumi never loses mail.

mod common;
mod mailsetup;

use std::path::Path;
use std::process::{Command, Output};

use mailsetup::*;

/// maildrop delivering `msg` with contrib/maildrop/mailfilter installed as
/// the user's ~/.mailfilter. maildrop takes HOME from the password file (the
/// test runs as root), so a two-line wrapper sets HOME, as `maildrop -d
/// user` would, and includes the recipe unchanged.
fn maildrop(home: &Path, msg: &[u8]) -> Output {
    let rc = home.join(".mailfilter");
    std::fs::write(&rc, read_repo("contrib/maildrop/mailfilter")).expect("write");
    chmod(&rc, 0o600);
    let wrapper = home.join(".mailfilter-test");
    std::fs::write(
        &wrapper,
        format!(
            "HOME=\"{}\"\ninclude \"{}\"\n",
            home.display(),
            rc.display()
        ),
    )
    .expect("write");
    chmod(&wrapper, 0o600);
    common::run_with_input(Command::new("maildrop").arg(&wrapper), msg)
}

fn delivered(out: &Output) {
    assert!(
        out.status.success(),
        "maildrop: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn files_spam_with_headers() {
    if !common::require_program("maildrop") {
        return;
    }
    let (db, spam, ham) = trained_pair();
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = mail_home(tmp.path(), Some(db.path()));
    delivered(&maildrop(&home, &spam));
    delivered(&maildrop(&home, &ham));
    let junk = maildir(&home.join("Maildir/.Junk"));
    let inbox = maildir(&home.join("Maildir"));
    assert_eq!((junk.len(), inbox.len()), (1, 1), "{}", tree(&home));
    assert_filtered(&junk[0], &spam, "Yes");
    assert_filtered(&inbox[0], &ham, "No");
}

#[test]
fn broken_database_delivers_to_inbox_unchanged() {
    if !common::require_program("maildrop") {
        return;
    }
    let (_db, spam, ham) = trained_pair();
    for corrupt in [true, false] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let home = mail_home(tmp.path(), None);
        if corrupt {
            corrupt_db(&home);
        }
        delivered(&maildrop(&home, &spam));
        delivered(&maildrop(&home, &ham));
        let inbox = maildir(&home.join("Maildir"));
        assert_eq!(inbox.len(), 2, "corrupt {corrupt}: {}", tree(&home));
        assert!(maildir(&home.join("Maildir/.Junk")).is_empty());
        let mut got: Vec<&[u8]> = inbox.iter().map(|m| without_from_line(m)).collect();
        let mut want = vec![without_from_line(&spam), without_from_line(&ham)];
        got.sort();
        want.sort();
        assert!(got == want, "corrupt {corrupt}: messages changed");
    }
}

/// fumi cannot be run: maildrop tempfails (EX_TEMPFAIL, 75) and delivers
/// nothing, so the MTA keeps the message.
#[test]
fn missing_fumi_tempfails() {
    if !common::require_program("maildrop") {
        return;
    }
    let (db, spam, _ham) = trained_pair();
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = mail_home(tmp.path(), Some(db.path()));
    std::fs::remove_file(home.join("bin/fumi")).expect("rm");
    let out = maildrop(&home, &spam);
    assert_eq!(
        out.status.code(),
        Some(75),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        maildir(&home.join("Maildir")).is_empty()
            && maildir(&home.join("Maildir/.Junk")).is_empty()
    );
}
