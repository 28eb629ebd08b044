//! The procmail recipes in contrib/procmail, run by the real procmail: a spam
//! and a ham land in the right Maildir folders, with fumi's headers in
//! header mode; a broken database or a missing fumi never loses mail.

mod common;
mod mailsetup;

use std::path::Path;
use std::process::{Command, Output};

use mailsetup::*;

/// procmail delivering `msg` with the rcfile `rc` for the user whose home
/// is `home`, as procmail would for `~/.procmailrc`; PATH starts with
/// $HOME/bin, where the test links fumi (procmail's default PATH does too,
/// but it is computed before HOME is set from the command line).
fn procmail(rc: &Path, home: &Path, path: Option<&str>, msg: &[u8]) -> Output {
    let mut c = Command::new("procmail");
    let default_path = format!("{}/bin:/usr/bin:/bin", home.display());
    c.arg("-m")
        .arg(format!("HOME={}", home.display()))
        .arg(format!("PATH={}", path.unwrap_or(&default_path)))
        .arg(rc);
    common::run_with_input(&mut c, msg)
}

/// The recipe from contrib/, installed as the user's ~/.procmailrc.
fn install(home: &Path, recipe: &str) -> std::path::PathBuf {
    let rc = home.join(".procmailrc");
    std::fs::write(&rc, read_repo(recipe)).expect("write rc");
    rc
}

fn delivered(out: &Output) {
    assert!(
        out.status.success(),
        "procmail: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn header_mode_files_spam_with_headers() {
    if !common::require_program("procmail") {
        return;
    }
    let (db, spam, ham) = trained_pair();
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = mail_home(tmp.path(), Some(db.path()));
    let rc = install(&home, "contrib/procmail/procmailrc");
    delivered(&procmail(&rc, &home, None, &spam));
    delivered(&procmail(&rc, &home, None, &ham));

    let junk = maildir(&home.join("Maildir/.Junk"));
    let inbox = maildir(&home.join("Maildir"));
    assert_eq!((junk.len(), inbox.len()), (1, 1), "{}", tree(&home));
    assert_filtered(&junk[0], &spam, "Yes");
    assert_filtered(&inbox[0], &ham, "No");
}

#[test]
fn status_mode_files_spam_unchanged() {
    if !common::require_program("procmail") {
        return;
    }
    let (db, spam, ham) = trained_pair();
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = mail_home(tmp.path(), Some(db.path()));
    let rc = install(&home, "contrib/procmail/procmailrc.status");
    delivered(&procmail(&rc, &home, None, &spam));
    delivered(&procmail(&rc, &home, None, &ham));

    let junk = maildir(&home.join("Maildir/.Junk"));
    let inbox = maildir(&home.join("Maildir"));
    assert_eq!((junk.len(), inbox.len()), (1, 1), "{}", tree(&home));
    assert_unfiltered(&junk[0], &spam);
    assert_unfiltered(&inbox[0], &ham);
}

/// A corrupt database (or none at all): both recipes deliver every message
/// to the inbox, unchanged.
#[test]
fn broken_database_delivers_to_inbox_unchanged() {
    if !common::require_program("procmail") {
        return;
    }
    let (_db, spam, ham) = trained_pair();
    for recipe in [
        "contrib/procmail/procmailrc",
        "contrib/procmail/procmailrc.status",
    ] {
        for corrupt in [true, false] {
            let tmp = tempfile::tempdir().expect("tempdir");
            let home = mail_home(tmp.path(), None);
            if corrupt {
                corrupt_db(&home);
            }
            let rc = install(&home, recipe);
            for msg in [&spam, &ham] {
                let out = procmail(&rc, &home, None, msg);
                delivered(&out);
            }
            let inbox = maildir(&home.join("Maildir"));
            let junk = maildir(&home.join("Maildir/.Junk"));
            assert_eq!(
                (inbox.len(), junk.len()),
                (2, 0),
                "{recipe}, corrupt {corrupt}: {}",
                tree(&home)
            );
            // Byte for byte what procmail was given (procmail drops the
            // mbox "From " line when it writes to a Maildir).
            let mut want = [&spam, &ham].map(|m| without_from_line(m).to_vec());
            let mut got = inbox.clone();
            want.sort();
            got.sort();
            assert!(got == want, "{recipe}, corrupt {corrupt}: messages changed");
        }
    }
}

/// fumi cannot be run at all (not installed): header mode keeps the message
/// and tempfails (EX_TEMPFAIL, 75) so that the MTA retries; status mode
/// delivers it to the inbox.
#[test]
fn missing_fumi_tempfails_or_delivers() {
    if !common::require_program("procmail") {
        return;
    }
    let (db, spam, _ham) = trained_pair();
    let no_fumi = "/nonexistent-bin:/usr/bin:/bin";

    let tmp = tempfile::tempdir().expect("tempdir");
    let home = mail_home(tmp.path(), Some(db.path()));
    let rc = install(&home, "contrib/procmail/procmailrc");
    let out = procmail(&rc, &home, Some(no_fumi), &spam);
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

    let tmp = tempfile::tempdir().expect("tempdir");
    let home = mail_home(tmp.path(), Some(db.path()));
    let rc = install(&home, "contrib/procmail/procmailrc.status");
    delivered(&procmail(&rc, &home, Some(no_fumi), &spam));
    let inbox = maildir(&home.join("Maildir"));
    assert!(inbox == [without_from_line(&spam)], "{}", tree(&home));
}
