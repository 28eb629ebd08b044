//! bsfilter's whole option set: every option is accepted (on the command
//! line and in a configuration file), the ones fumi does not need change
//! nothing, the mapped ones map, --imap/--pop are refused, and a `bsfilter`
//! symlink reads bsfilter.conf.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{bin, fumi, run_with_input};

/// The bsfilter options that have no effect in fumi, with a value where
/// they take one (README, "bsfilter compatibility").
const NO_OPS: &[&[&str]] = &[
    &["-j", "bigram"],
    &["--jtokenizer", "block"],
    &["--jtokenizer", "MeCab"],
    &["-j", "chasen"],
    &["--max-line", "500"],
    &["--max-line", "0"],
    &["-D"],
    &["--disable-degeneration"],
    &["--disable-utf-8"],
    &["--refer-header", "Ufrom,From,To,Cc,Subject"],
    &["--refer-header", ""],
    &["--refer-all-header"],
    &["-H"],
    &["--ignore-header"],
    &["-B"],
    &["--ignore-body"],
    &["--ignore-plain-text-part"],
    &["--ignore-after-last-atag"],
    &["--mark-in-token", "|!*'"],
    &["--max-mail", "10000"],
    &["--min-mail", "8000"],
    &["--show-new-token"],
    &["--db", "sdbm"],
    &["--db", "gdbm"],
    &["--db", "bdb"],
    &["--db", "qdbm"],
    &["--db", "ndbm"],
    &["--db", "bdb1"],
    &["--pid-file", "/nonexistent/bsfilter.pid"],
    &["--imap-server", "imap.example.com"],
    &["--imap-port", "143"],
    &["--imap-auth", "cram-md5"],
    &["--imap-user", "taro"],
    &["--imap-password", "secret"],
    &["--imap-folder-clean", "inbox"],
    &["--imap-folder-spam", "inbox.spam"],
    &["--imap-fetch-unseen"],
    &["--imap-fetch-unflagged"],
    &["--imap-reset-seen-flag"],
    &["--ssl"],
    &["--ssl-cert", "/etc/ssl/certs"],
    &["--pop-server", "pop.example.com"],
    &["--pop-port", "110"],
    &["--pop-proxy-if", "0.0.0.0"],
    &["--pop-proxy-port", "10110"],
    &["--pop-user", "taro"],
    &["--pop-proxy-set", "pop.example.com:110::10110"],
    &["--pop-max-size", "50000"],
    &["--tasktray"],
    &["--icon-number", "3"],
    &["--bsfilter-compat"],
];

fn in_home(home: &Path) -> Command {
    let mut c = fumi();
    c.arg("--homedir").arg(home);
    c
}

fn pipe(home: &Path, extra: &[&str], msg: &[u8]) -> Output {
    run_with_input(
        in_home(home)
            .args(["--pipe", "--insert-flag", "--insert-probability"])
            .args(extra),
        msg,
    )
}

#[test]
fn no_op_options_change_nothing() {
    let (home, test_spam, test_ham) = common::trained_home();
    let spam = std::fs::read(&test_spam[0]).expect("read");
    let ham = std::fs::read(&test_ham[0]).expect("read");
    let base_spam = pipe(home.path(), &[], &spam);
    let base_ham = pipe(home.path(), &[], &ham);
    assert!(base_spam.status.success() && base_ham.status.success());
    let exit = |args: &[&str], file: &Path| {
        in_home(home.path())
            .args(args)
            .arg(file)
            .output()
            .expect("run")
    };
    let base_exit = exit(&[], &test_spam[0]).status.code();
    for opt in NO_OPS {
        for (msg, base) in [(&spam, &base_spam), (&ham, &base_ham)] {
            let out = pipe(home.path(), opt, msg);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{opt:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(out.stdout, base.stdout, "{opt:?} changed the output");
            assert!(
                out.stderr.is_empty(),
                "{opt:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let out = exit(opt, &test_spam[0]);
        assert_eq!(
            out.status.code(),
            base_exit,
            "{opt:?} changed the exit status"
        );
    }
    // All of them at once, bundled short flags included.
    let all: Vec<&str> = NO_OPS.iter().flat_map(|o| o.iter().copied()).collect();
    assert_eq!(pipe(home.path(), &all, &spam).stdout, base_spam.stdout);
    assert_eq!(pipe(home.path(), &["-DHB"], &spam).stdout, base_spam.stdout);
}

#[test]
fn every_bsfilter_option_is_accepted_in_a_config_file() {
    let (home, test_spam, _) = common::trained_home();
    let mut conf = String::from("# a bsfilter.conf with every option fumi does not need\n");
    for opt in NO_OPS {
        let name = match opt[0] {
            "-j" => "jtokenizer",
            "-D" => "disable-degeneration",
            "-H" => "ignore-header",
            "-B" => "ignore-body",
            long => long.trim_start_matches("--"),
        };
        if opt.len() == 2 && opt[1].is_empty() {
            conf.push_str(&format!("{name} \"\"\n"));
        } else {
            conf.push_str(&format!("{name} {}\n", opt[1..].join(" ")));
        }
    }
    let conf_path = home.path().join("bsfilter-all.conf");
    std::fs::write(&conf_path, conf).expect("write");
    let spam = std::fs::read(&test_spam[0]).expect("read");
    let base = pipe(home.path(), &[], &spam);
    let out = pipe(
        home.path(),
        &["--config-file", conf_path.to_str().expect("path")],
        &spam,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, base.stdout);
}

#[test]
fn mapped_options() {
    let (home, test_spam, test_ham) = common::trained_home();
    // -d/--debug is --explain: the clues, on standard output when filtering.
    let explain = in_home(home.path())
        .arg("--explain")
        .arg(&test_spam[0])
        .output()
        .expect("run");
    for d in ["-d", "--debug"] {
        let out = in_home(home.path())
            .arg(d)
            .arg(&test_spam[0])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), explain.status.code());
        assert_eq!(out.stdout, explain.stdout, "{d}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("f(w)"));
    }
    // ... and on standard error with --pipe, the message untouched on stdout.
    let spam = std::fs::read(&test_spam[0]).expect("read");
    let out = pipe(home.path(), &["-d"], &spam);
    assert_eq!(out.stdout, pipe(home.path(), &[], &spam).stdout);
    assert!(String::from_utf8_lossy(&out.stderr).contains("f(w)"));

    // --show-process is -v: a line per message on standard error.
    let out = in_home(home.path())
        .arg("--show-process")
        .args(&test_ham[..3])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 3, "{err}");
    for f in &test_ham[..3] {
        assert!(err.contains(f.to_str().expect("path")));
    }
    assert!(out.stdout.is_empty());

    // --revision is --version; --insert-revision adds X-Spam-Revision.
    let out = fumi().arg("--revision").output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("fumi "));
    let out = pipe(home.path(), &["--insert-revision"], &spam);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\nX-Spam-Revision: fumi "));
}

#[test]
fn imap_and_pop_are_refused_without_losing_mail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let msg = b"From: a@example.com\nSubject: hi\n\nhello\n";
    for opt in ["--imap", "--pop"] {
        let out = run_with_input(in_home(dir.path()).arg(opt), msg);
        assert_eq!(out.status.code(), Some(2), "{opt}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("not supported") && err.contains("procmail"),
            "{err}"
        );
        let out = run_with_input(in_home(dir.path()).args([opt, "--pipe"]), msg);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(out.stdout, msg, "{opt} --pipe passes the message through");
    }
    // A database type that is not bsfilter's is not silently ignored.
    let out = in_home(dir.path())
        .args(["--db", "mysql", "--show-db-status"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    // Nor is a --jtokenizer bsfilter does not have.
    let out = in_home(dir.path())
        .args(["-j", "unigram"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bsfilter_symlink_reads_bsfilter_conf() {
    let (home, test_spam, _) = common::trained_home();
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("bsfilter");
    std::os::unix::fs::symlink(bin(), &link).expect("symlink");
    std::fs::write(
        home.path().join("bsfilter.conf"),
        "# written for bsfilter\njtokenizer mecab\ndb sdbm\nheader-prefix Bsfilter\n\
         imap-server imap.example.com\nimap-password secret\nmax-line 500\n",
    )
    .expect("write");
    let spam = std::fs::read(&test_spam[0]).expect("read");
    let run = |cmd: &mut Command| {
        let out = run_with_input(
            cmd.env_remove("FUMI_HOME")
                .env("HOME", "/nonexistent-home-for-tests")
                .arg("--homedir")
                .arg(home.path())
                .args(["--pipe", "--insert-flag"]),
            &spam,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(run(&mut Command::new(&link)).contains("\nX-Bsfilter-Flag: "));
    assert!(run(Command::new(bin()).arg("--bsfilter-compat")).contains("\nX-Bsfilter-Flag: "));
    // As fumi, bsfilter.conf is not read.
    assert!(run(&mut Command::new(bin())).contains("\nX-Spam-Flag: "));
    // A fumi.conf wins over bsfilter.conf.
    std::fs::write(home.path().join("fumi.conf"), "header-prefix Fumi\n").expect("write");
    assert!(run(&mut Command::new(&link)).contains("\nX-Fumi-Flag: "));
    // The exit status contract is bsfilter's under either name.
    let out = Command::new(&link)
        .arg("--homedir")
        .arg(home.path())
        .arg(&test_spam[0])
        .output()
        .expect("run");
    let out2 = fumi()
        .arg("--homedir")
        .arg(home.path())
        .arg(&test_spam[0])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), out2.status.code());
}
