//! The command lines mail clients run for bsfilter (../shared/docs/bsfilter.md
//! §7), run against fumi exactly as the clients spell them: exit codes and
//! database counts.
//! * Claws Mail's bsfilter plugin: `--homedir DIR FILE` (0 spam, 1 ham,
//!   anything else an error), `--homedir DIR -su FILE`, `-cu FILE`.
//! * Sylpheed's bsfilter preset: junk `-C -s -u`, not junk `-c -S -u`,
//!   classify with no option (Sylpheed appends the message file); the
//!   database is the default one, ~/.fumi.
//! * Mew: learn `-C -s -u` / `-c -S -u`, and `-a --list-spam FILE...`, which
//!   prints the spam among the files.

mod common;
mod mailsetup;

use std::path::{Path, PathBuf};
use std::process::Command;

use mailsetup::{counts, pick};

/// Runs fumi with these arguments: (exit code, standard output).
fn run(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().expect("fumi");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// fumi as a client without --homedir runs it: HOME is `home`, the
/// database ~/.fumi.
fn fumi_at_home(home: &Path) -> Command {
    let mut c = common::fumi();
    c.env("HOME", home);
    c
}

#[test]
fn claws_mail_command_lines() {
    let (db, spam, ham) = common::trained_home();
    let dir = db.path();
    let s = pick(dir, &spam, "spam");
    let h = pick(dir, &ham, "clean");
    let claws = || {
        let mut c = common::fumi();
        c.arg("--homedir").arg(dir);
        c
    };

    // Classify: 0 spam, 1 ham.
    assert_eq!(run(claws().arg(&s)).0, 0);
    assert_eq!(run(claws().arg(&h)).0, 1);
    // An error is 3, which the plugin reports as an error, not as ham.
    let empty = tempfile::tempdir().expect("tempdir");
    let (code, _) = run(common::fumi()
        .arg("--homedir")
        .arg(empty.path().join("none"))
        .arg(&h));
    assert_eq!(code, 3);

    // "Mark as spam" on a ham: learned as spam, once however often.
    let (s0, c0) = counts(dir);
    assert_eq!(run(claws().arg("-su").arg(&h)).0, 0);
    assert_eq!(counts(dir), (s0 + 1, c0));
    assert_eq!(run(claws().arg("-su").arg(&h)).0, 0);
    assert_eq!(counts(dir), (s0 + 1, c0), "-su twice counts once");
    // "Mark as ham" afterwards: the plugin does not unlearn (-S), fumi
    // moves the message from spam to clean by itself.
    assert_eq!(run(claws().arg("-cu").arg(&h)).0, 0);
    assert_eq!(counts(dir), (s0, c0 + 1));
    assert_eq!(run(claws().arg(&h)).0, 1);
}

/// A user's home whose ~/.fumi is a copy of the trained database.
fn home_with_db(db: &Path) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(home.path().join(".fumi")).expect("mkdir");
    std::fs::copy(db.join("data.mdb"), home.path().join(".fumi/data.mdb")).expect("copy");
    home
}

#[test]
fn sylpheed_command_lines() {
    let (db, spam, ham) = common::trained_home();
    let s = pick(db.path(), &spam, "spam");
    let h = pick(db.path(), &ham, "clean");
    let home = home_with_db(db.path());
    let dot = home.path().join(".fumi");

    // Classify: `fumi FILE`.
    assert_eq!(run(fumi_at_home(home.path()).arg(&s)).0, 0);
    assert_eq!(run(fumi_at_home(home.path()).arg(&h)).0, 1);

    // Junk: `fumi -C -s -u FILE` on a message never learned as clean.
    let (s0, c0) = counts(&dot);
    assert_eq!(
        run(fumi_at_home(home.path()).args(["-C", "-s", "-u"]).arg(&h)).0,
        0
    );
    assert_eq!(counts(&dot), (s0 + 1, c0));
    // Not junk: `fumi -c -S -u FILE` undoes it and learns clean.
    assert_eq!(
        run(fumi_at_home(home.path()).args(["-c", "-S", "-u"]).arg(&h)).0,
        0
    );
    assert_eq!(counts(&dot), (s0, c0 + 1));
    // Junk again: back to spam.
    assert_eq!(
        run(fumi_at_home(home.path()).args(["-C", "-s", "-u"]).arg(&h)).0,
        0
    );
    assert_eq!(counts(&dot), (s0 + 1, c0));
}

#[test]
fn mew_command_lines() {
    let (db, spam, ham) = common::trained_home();
    let home = home_with_db(db.path());
    let dot = home.path().join(".fumi");
    let files: Vec<PathBuf> = spam.iter().chain(ham.iter()).cloned().collect();

    // What fumi says of each file before anything is learned.
    let (_, scan) = run(common::fumi()
        .arg("--homedir")
        .arg(&dot)
        .arg("--scan")
        .args(&files));
    let mut want_spam = Vec::new();
    let mut auto_learned_clean = Vec::new();
    let (mut learn_spam, mut learn_clean) = (0, 0);
    for line in scan.lines() {
        let f: Vec<&str> = line.splitn(3, '\t').collect();
        let p: f64 = f[0].parse().expect("probability");
        // --auto-update's default bounds: learned only when confident.
        if f[1] == "spam" {
            want_spam.push(f[2].to_string());
            learn_spam += u64::from(p > 0.99);
        } else if f[1] == "clean" && p < 0.01 {
            learn_clean += 1;
            auto_learned_clean.push(PathBuf::from(f[2]));
        }
    }
    assert!(!want_spam.is_empty());

    // `fumi -a --list-spam FILE...`: the names of the spam, and the
    // confident verdicts learned.
    let (s0, c0) = counts(&dot);
    let (code, out) = run(fumi_at_home(home.path())
        .args(["-a", "--list-spam"])
        .args(&files));
    assert_eq!(code, 0, "some file is spam");
    let listed: Vec<&str> = out.lines().collect();
    assert_eq!(listed, want_spam);
    assert_eq!(counts(&dot), (s0 + learn_spam, c0 + learn_clean));

    // Learning: `-C -s -u` and `-c -S -u` on a ham the user marks as spam
    // and then back; -a learned it as clean already.
    let h = auto_learned_clean.first().expect("a confidently clean ham");
    let (s1, c1) = counts(&dot);
    assert_eq!(
        run(fumi_at_home(home.path()).args(["-C", "-s", "-u"]).arg(h)).0,
        0
    );
    assert_eq!(counts(&dot), (s1 + 1, c1 - 1));
    assert_eq!(
        run(fumi_at_home(home.path()).args(["-c", "-S", "-u"]).arg(h)).0,
        0
    );
    assert_eq!(counts(&dot), (s1, c1));
}
