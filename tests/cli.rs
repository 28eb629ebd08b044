//! The command line, end to end, through the real binary: training, filtering,
//! --pipe output byte for byte, exit codes, configuration, error paths and
//! concurrent deliveries.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{corpus, files, fumi, run_with_input, trained_home};

fn home_cmd(home: &Path) -> Command {
    let mut c = fumi();
    c.arg("--homedir").arg(home);
    c
}

/// Runs a command that must succeed; its standard output.
fn success_stdout(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn status(home: &Path) -> std::collections::HashMap<String, String> {
    success_stdout(home_cmd(home).arg("--show-db-status"))
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn count(home: &Path, key: &str) -> u64 {
    status(home)[key].parse().expect("number")
}

/// A message that is spam beyond doubt for the trained sample home.
fn spam_message() -> Vec<u8> {
    fs::read(&files(&corpus().join("spam"))[0]).expect("read")
}

fn ham_message() -> Vec<u8> {
    fs::read(&files(&corpus().join("ham"))[0]).expect("read")
}

#[test]
fn exit_codes_follow_bsfilter() {
    let (home, test_spam, test_ham) = trained_home();
    // A spam and a ham from the untrained halves.
    let spam = test_spam
        .iter()
        .find(|p| home_cmd(home.path()).arg(p).status().expect("run").code() == Some(0));
    assert!(spam.is_some(), "some held-out spam is recognised");
    let ham_codes: Vec<i32> = test_ham[..10]
        .iter()
        .map(|p| {
            home_cmd(home.path())
                .arg(p)
                .status()
                .expect("run")
                .code()
                .expect("code")
        })
        .collect();
    assert!(
        ham_codes.iter().filter(|&&c| c == 1).count() >= 9,
        "{ham_codes:?}"
    );
    // Several files: 0 if any is spam.
    let code = home_cmd(home.path())
        .arg(&test_ham[0])
        .arg(spam.expect("spam"))
        .status()
        .expect("run")
        .code();
    assert_eq!(code, Some(0));
    // Standard input works the same.
    let out = run_with_input(&mut home_cmd(home.path()), &ham_message());
    assert_eq!(out.status.code(), Some(1));
    // Usage errors: 2. Internal errors: 3, never 1.
    assert_eq!(
        home_cmd(home.path())
            .arg("--no-such-option")
            .status()
            .expect("run")
            .code(),
        Some(2)
    );
    assert_eq!(
        home_cmd(home.path())
            .args(["-m", "x"])
            .status()
            .expect("run")
            .code(),
        Some(2)
    );
    let missing = home.path().join("nothing-here");
    let out = run_with_input(fumi().arg("--homedir").arg(&missing), &ham_message());
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database"));
    let out = home_cmd(home.path())
        .arg("/nonexistent/message")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn pipe_inserts_headers_byte_for_byte() {
    let (home, _, _) = trained_home();
    let msg = b"From: a@example.com\nSubject: lunch\n\nSee you at noon.\n";
    let out = run_with_input(
        home_cmd(home.path()).args(["--pipe", "--insert-flag", "--insert-probability"]),
        msg,
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf8");
    let (head, body) = text.split_once("\n\n").expect("blank line");
    let lines: Vec<&str> = head.lines().collect();
    assert_eq!(&lines[..2], ["From: a@example.com", "Subject: lunch"]);
    assert_eq!(lines[2], "X-Spam-Flag: No");
    let p = lines[3]
        .strip_prefix("X-Spam-Probability: ")
        .expect("probability header");
    assert_eq!(p.len(), 8, "six decimals: {p}");
    assert!(p.parse::<f64>().expect("number") < 0.95);
    assert_eq!(lines.len(), 4);
    assert_eq!(body, "See you at noon.\n");
}

#[test]
fn pipe_keeps_crlf_and_replaces_forged_headers() {
    let (home, _, _) = trained_home();
    let mut msg = b"From: a@example.com\r\nX-SPAM-FLAG: Yes\r\n\tcontinued\r\nx-spam-probability: 0.000000\r\nSubject: s\r\n\r\nbody\r\n".to_vec();
    let out = run_with_input(
        home_cmd(home.path()).args(["--pipe", "--insert-flag", "--insert-probability"]),
        &msg,
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(
        text.starts_with("From: a@example.com\r\nSubject: s\r\nX-Spam-Flag: "),
        "{text:?}"
    );
    assert_eq!(
        text.matches("X-Spam-Flag").count() + text.matches("X-SPAM-FLAG").count(),
        1
    );
    assert!(!text.contains("continued"));
    assert!(!text.contains("x-spam-probability"));
    assert!(text.ends_with("\r\n\r\nbody\r\n"));
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "every line ends in CRLF"
    );
    // A custom prefix and subject marking on spam.
    msg = spam_message();
    let out = run_with_input(
        home_cmd(home.path()).args([
            "--pipe",
            "--insert-flag",
            "--header-prefix",
            "Fumi",
            "--mark-spam-subject",
        ]),
        &msg,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\nX-Fumi-Flag: Yes"), "{text}");
    assert!(text.contains("\nSubject: [SPAM] "), "{text}");
    // Header injection through the prefix is refused.
    let out = run_with_input(
        home_cmd(home.path()).args(["--pipe", "--insert-flag", "--header-prefix", "A: b\nX"]),
        b"x",
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn pipe_passes_the_message_through_whatever_fails() {
    let msg = b"From: a@example.com\nSubject: hello\n\nbody\n";
    let dir = tempfile::tempdir().expect("tempdir");
    // Missing home.
    let out = run_with_input(
        fumi()
            .arg("--homedir")
            .arg(dir.path().join("missing"))
            .args(["-a", "--pipe", "--insert-flag", "--insert-probability"]),
        msg,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, msg);
    assert!(String::from_utf8_lossy(&out.stderr).contains("passed through unchanged"));
    // Corrupt database.
    let bad = dir.path().join("bad");
    fs::create_dir(&bad).expect("mkdir");
    fs::write(
        bad.join("data.mdb"),
        b"this is not an LMDB file at all, just junk bytes",
    )
    .expect("write");
    let out = run_with_input(
        fumi()
            .arg("--homedir")
            .arg(&bad)
            .args(["--pipe", "--insert-flag"]),
        msg,
    );
    assert_eq!(
        (out.status.code(), out.stdout.as_slice()),
        (Some(0), &msg[..])
    );
    // World-writable home: refused, message passed through.
    let open = dir.path().join("open");
    fs::create_dir(&open).expect("mkdir");
    assert!(
        fumi()
            .arg("--homedir")
            .arg(&open)
            .arg("-s")
            .arg(&files(&corpus().join("spam"))[0])
            .status()
            .expect("run")
            .success()
    );
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut fs::metadata(&open).expect("md").permissions(),
        0o777,
    );
    fs::set_permissions(&open, std::os::unix::fs::PermissionsExt::from_mode(0o777)).expect("chmod");
    let out = run_with_input(
        fumi()
            .arg("--homedir")
            .arg(&open)
            .args(["--pipe", "--insert-flag"]),
        msg,
    );
    assert_eq!(
        (out.status.code(), out.stdout.as_slice()),
        (Some(0), &msg[..])
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("writable by other users"));
    // Without --pipe the same failures are exit 3.
    let out = run_with_input(fumi().arg("--homedir").arg(&open), msg);
    assert_eq!(out.status.code(), Some(3));
    // A bad configuration value with --pipe still delivers the message.
    let conf = dir.path().join("bad.conf");
    fs::write(&conf, "spam-cutoff banana\n").expect("write");
    let out = run_with_input(
        fumi()
            .arg("--homedir")
            .arg(&open)
            .arg("--config-file")
            .arg(&conf)
            .arg("--pipe"),
        msg,
    );
    assert_eq!(out.stdout, msg);
    assert_ne!(out.status.code(), Some(0));
}

#[test]
fn unreadable_home_passes_mail_through() {
    // As a user who cannot read the home (root ignores permissions, so the
    // test runs fumi as nobody when it is root).
    let (home, _, _) = trained_home();
    let msg = b"Subject: x\n\nbody\n";
    let is_root = unsafe_getuid() == 0;
    let mut cmd = if is_root {
        if !Path::new("/usr/bin/setpriv").exists() {
            eprintln!("skipping: setpriv not available");
            return;
        }
        let mut c = Command::new("/usr/bin/setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(common::bin());
        c
    } else {
        fs::set_permissions(
            home.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o000),
        )
        .expect("chmod");
        fumi()
    };
    cmd.arg("--homedir")
        .arg(home.path())
        .args(["--pipe", "--insert-flag"]);
    let out = run_with_input(&mut cmd, msg);
    if !is_root {
        fs::set_permissions(
            home.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .expect("chmod");
    }
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, msg);
}

fn unsafe_getuid() -> u32 {
    // The uid of this test process, from /proc (no libc dependency needed).
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(u32::MAX)
}

#[test]
fn training_is_idempotent_moves_and_undoes() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let spam: Vec<_> = files(&corpus().join("spam"))[..5].to_vec();
    let ham: Vec<_> = files(&corpus().join("ham"))[..5].to_vec();
    assert!(
        home_cmd(h)
            .arg("-s")
            .args(&spam)
            .status()
            .expect("run")
            .success()
    );
    assert!(
        home_cmd(h)
            .arg("-c")
            .args(&ham)
            .status()
            .expect("run")
            .success()
    );
    let tokens = count(h, "tokens");
    assert_eq!(
        (count(h, "spam_messages"), count(h, "clean_messages")),
        (5, 5)
    );
    // Again: nothing changes.
    assert!(
        home_cmd(h)
            .arg("--add-spam")
            .args(&spam)
            .status()
            .expect("run")
            .success()
    );
    assert_eq!((count(h, "spam_messages"), count(h, "tokens")), (5, tokens));
    // A ham learned as spam by mistake, then corrected with -C -s (Sylpheed) …
    assert!(
        home_cmd(h)
            .args(["-C", "-s", "-u"])
            .arg(&ham[0])
            .status()
            .expect("run")
            .success()
    );
    assert_eq!(
        (count(h, "spam_messages"), count(h, "clean_messages")),
        (6, 4)
    );
    // … and back with -c -S -u (Mew); bundled -cu (Claws Mail) is a no-op now.
    assert!(
        home_cmd(h)
            .args(["-c", "-S", "-u"])
            .arg(&ham[0])
            .status()
            .expect("run")
            .success()
    );
    assert!(
        home_cmd(h)
            .arg("-cu")
            .arg(&ham[0])
            .status()
            .expect("run")
            .success()
    );
    assert_eq!(
        (count(h, "spam_messages"), count(h, "clean_messages")),
        (5, 5)
    );
    assert_eq!(
        count(h, "tokens"),
        tokens,
        "moving back restores every count"
    );
    // --add-spam on a message learned as clean moves it without -C.
    assert!(
        home_cmd(h)
            .arg("-su")
            .arg(&ham[1])
            .status()
            .expect("run")
            .success()
    );
    assert_eq!(
        (count(h, "spam_messages"), count(h, "clean_messages")),
        (6, 4)
    );
    // --sub-spam undoes exactly what was learned; a second time does nothing.
    assert!(
        home_cmd(h)
            .arg("-S")
            .arg(&ham[1])
            .status()
            .expect("run")
            .success()
    );
    assert!(
        home_cmd(h)
            .arg("--sub-spam")
            .arg(&ham[1])
            .status()
            .expect("run")
            .success()
    );
    assert_eq!(
        (count(h, "spam_messages"), count(h, "clean_messages")),
        (5, 4)
    );
    // Standard input (no FILE, and "-").
    let out = run_with_input(home_cmd(h).arg("-c"), &fs::read(&ham[1]).expect("read"));
    assert!(out.status.success());
    let out = run_with_input(
        home_cmd(h).args(["-c", "-"]),
        &fs::read(&ham[2]).expect("read"),
    );
    assert!(out.status.success());
    assert_eq!(count(h, "clean_messages"), 5);
    // A delivered copy (headers added, CRLF) is the same message.
    let delivered = run_with_input(
        home_cmd(h).args(["--pipe", "--insert-flag", "--insert-probability"]),
        &fs::read(&ham[3]).expect("read"),
    )
    .stdout;
    let crlf = String::from_utf8_lossy(&delivered).replace('\n', "\r\n");
    assert!(
        run_with_input(home_cmd(h).arg("-c"), crlf.as_bytes())
            .status
            .success()
    );
    assert_eq!(count(h, "clean_messages"), 5);
}

#[test]
fn home_and_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("h");
    assert!(
        home_cmd(&home)
            .arg("-s")
            .arg(&files(&corpus().join("spam"))[0])
            .status()
            .expect("run")
            .success()
    );
    assert_eq!(
        fs::metadata(&home).expect("md").permissions().mode() & 0o777,
        0o700
    );
    for f in ["data.mdb", "lock.mdb"] {
        assert_eq!(
            fs::metadata(home.join(f)).expect("md").permissions().mode() & 0o777,
            0o600,
            "{f}"
        );
    }
    // $FUMI_HOME is the default home.
    let out = fumi()
        .env("FUMI_HOME", &home)
        .arg("--show-db-status")
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("spam_messages\t1"));
}

#[test]
fn scan_list_and_status_formats() {
    let (home, test_spam, test_ham) = trained_home();
    let inputs: Vec<_> = test_spam
        .iter()
        .take(5)
        .chain(test_ham.iter().take(5))
        .collect();
    let out = home_cmd(home.path())
        .arg("--scan")
        .args(&inputs)
        .output()
        .expect("run");
    let text = String::from_utf8(out.stdout).expect("utf8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 10);
    for (line, path) in lines.iter().zip(&inputs) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 3);
        // At least six decimals, fixed-point, exact (no rounding to 0).
        let decimals = f[0].strip_prefix("0.").or_else(|| f[0].strip_prefix("1."));
        assert!(
            decimals.is_some_and(|d| d.len() >= 6 && d.bytes().all(|b| b.is_ascii_digit())),
            "{line}"
        );
        let p: f64 = f[0].parse().expect("probability");
        assert_eq!(fumi::score::format_probability(p), f[0]);
        assert!((0.0..=1.0).contains(&p));
        assert!(["spam", "clean", "unsure"].contains(&f[1]));
        assert_eq!(f[2], path.display().to_string());
    }
    // --ham-cutoff gives a third verdict.
    let out = home_cmd(home.path())
        .args(["--scan", "--ham-cutoff", "0.0", "--spam-cutoff", "1.0"])
        .args(&inputs)
        .output()
        .expect("run");
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.contains("\tunsure\t"))
    );
    // --list-spam / --list-clean print names.
    let listed = |flag: &str| -> Vec<String> {
        let out = home_cmd(home.path())
            .arg(flag)
            .args(&inputs)
            .output()
            .expect("run");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(String::from)
            .collect()
    };
    let spam_list = listed("--list-spam");
    let clean_list = listed("--list-clean");
    assert_eq!(spam_list.len() + clean_list.len(), 10);
    for l in spam_list.iter().chain(&clean_list) {
        assert!(inputs.iter().any(|p| p.display().to_string() == *l));
    }
    // Status keys.
    let s = status(home.path());
    for k in [
        "spam_messages",
        "clean_messages",
        "tokens",
        "format_version",
        "tokenizer",
    ] {
        assert!(s.contains_key(k), "{k}");
    }
}

#[test]
fn mbox_maildir_and_directories() {
    let (home, test_spam, test_ham) = trained_home();
    let dir = tempfile::tempdir().expect("tempdir");
    // An mbox of three messages.
    let mbox = dir.path().join("box.mbox");
    let mut data = Vec::new();
    for p in [&test_spam[0], &test_ham[0], &test_ham[1]] {
        let m = fs::read(p).expect("read");
        if !m.starts_with(b"From ") {
            data.extend_from_slice(b"From someone@example.com Fri Nov 27 10:00:00 2026\n");
        }
        data.extend_from_slice(&m);
        data.extend_from_slice(b"\n");
    }
    fs::write(&mbox, &data).expect("write");
    let out = home_cmd(home.path())
        .args(["--scan", "--mbox"])
        .arg(&mbox)
        .output()
        .expect("run");
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.rsplit('\t').next().unwrap_or("").to_string())
        .collect();
    let m = mbox.display().to_string();
    assert_eq!(
        names,
        [format!("{m}:1"), format!("{m}:2"), format!("{m}:3")]
    );
    // A Maildir: cur/ and new/, never tmp/.
    let md = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(md.join(sub)).expect("mkdir");
    }
    fs::copy(&test_ham[2], md.join("cur/1:2,S")).expect("copy");
    fs::copy(&test_spam[1], md.join("new/2")).expect("copy");
    fs::copy(&test_spam[2], md.join("tmp/3")).expect("copy");
    let out = home_cmd(home.path())
        .arg("--scan")
        .arg(&md)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(!text.contains("/tmp/3"));
    // Training from a Maildir.
    let before = count(home.path(), "spam_messages");
    assert!(
        home_cmd(home.path())
            .arg("-s")
            .arg(md.join("new"))
            .status()
            .expect("run")
            .success()
    );
    assert_eq!(count(home.path(), "spam_messages"), before + 1);
}

#[test]
fn config_file_and_command_line_precedence() {
    let (home, _, _) = trained_home();
    let msg = spam_message();
    fs::write(
        home.path().join("fumi.conf"),
        "# fumi settings\nheader-prefix Junk\ninsert-flag\nspam-cutoff 0.0\n",
    )
    .expect("write");
    let out = run_with_input(home_cmd(home.path()).arg("--pipe"), &msg);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\nX-Junk-Flag: Yes\n"),
        "the config file applies: {text}"
    );
    // The command line wins.
    let out = run_with_input(
        home_cmd(home.path()).args(["--pipe", "--header-prefix", "Spam", "--spam-cutoff", "1.0"]),
        &msg,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\nX-Spam-Flag: No\n"), "{text}");
    // An explicit config file that does not exist is a usage error.
    assert_eq!(
        home_cmd(home.path())
            .args(["--config-file", "/nonexistent.conf", "--show-db-status"])
            .status()
            .expect("run")
            .code(),
        Some(2)
    );
}

#[test]
fn explain_lists_clues() {
    let (home, test_spam, _) = trained_home();
    let out = home_cmd(home.path())
        .arg("--explain")
        .arg(&test_spam[0])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .expect("summary")
            .starts_with(&format!("# {}\t", test_spam[0].display()))
    );
    assert_eq!(lines.next(), Some("# f(w)\tspam\tclean\tcategory\ttoken"));
    let clue = lines.next().expect("a clue");
    let f: Vec<&str> = clue.split('\t').collect();
    assert_eq!(f.len(), 5);
    assert!(
        f[0].parse::<f64>().is_ok() && f[1].parse::<u32>().is_ok() && f[2].parse::<u32>().is_ok()
    );
}

/// `--explain` for the first test spam with `args`: its header line and
/// the number of clues.
fn explain_clues(home: &Path, spam: &Path, args: &[&str]) -> (String, usize) {
    let out = success_stdout(home_cmd(home).arg("--explain").args(args).arg(spam));
    let header = out.lines().next().unwrap_or_default().to_string();
    let clues = out.lines().filter(|l| !l.starts_with('#')).count();
    (header, clues)
}

/// `--min-dev-above N` confines `--min-dev` to messages with more than N
/// distinct tokens; with 0 `--min-dev` applies to every message.
/// (`--young-below 0`: the small test database counts as trained.)
#[test]
fn min_dev_above_confines_min_dev_to_long_messages() {
    let (home, test_spam, _) = trained_home();
    let clues = |args: &[&str]| {
        let mut v = vec!["--young-below", "0"];
        v.extend_from_slice(args);
        explain_clues(home.path(), &test_spam[0], &v).1
    };
    let all = clues(&["--min-dev", "0"]);
    let strong = clues(&["--min-dev", "0.3", "--min-dev-above", "0"]);
    assert!(strong > 0 && strong < all, "{strong} of {all} clues");
    let n = all.to_string();
    let below = (all - 1).to_string();
    assert_eq!(clues(&["--min-dev", "0.3", "--min-dev-above", &n]), all);
    assert_eq!(
        clues(&["--min-dev", "0.3", "--min-dev-above", &below]),
        strong
    );
}

/// A database with fewer than `--young-below` spam or clean messages is
/// young: `--explain` says so and `--min-dev` is off; with a lower bound
/// the same database counts as trained.
#[test]
fn young_database_turns_min_dev_off() {
    let (home, test_spam, _) = trained_home();
    let h = home.path();
    let fewest = count(h, "spam_messages").min(count(h, "clean_messages"));
    let strict = ["--min-dev", "0.3", "--min-dev-above", "0"];
    let young = (fewest + 1).to_string();
    let grown = fewest.to_string();
    let (header, young_clues) = explain_clues(
        home.path(),
        &test_spam[0],
        &[&strict[..], &["--young-below", &young]].concat(),
    );
    assert!(header.ends_with("(young database)"), "{header}");
    let (_, all) = explain_clues(home.path(), &test_spam[0], &["--min-dev", "0"]);
    assert_eq!(young_clues, all);
    let (header, grown_clues) = explain_clues(
        home.path(),
        &test_spam[0],
        &[&strict[..], &["--young-below", &grown]].concat(),
    );
    assert!(!header.contains("young"), "{header}");
    assert!(grown_clues < all, "{grown_clues} of {all}");
}

#[test]
fn version_help_and_quiet_pipe() {
    let out = fumi().arg("--version").output().expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("fumi "));
    let out = fumi().arg("--help").output().expect("run");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for opt in [
        "--add-spam",
        "--add-clean",
        "--sub-spam",
        "--sub-clean",
        "--pipe",
        "--insert-flag",
        "--scan",
        "--homedir",
    ] {
        assert!(help.contains(opt), "{opt}");
    }
    // bsfilter's trap: -q --pipe wrote nothing. fumi still writes the message.
    let (home, _, _) = trained_home();
    let msg = ham_message();
    let out = run_with_input(home_cmd(home.path()).args(["-q", "--pipe"]), &msg);
    assert_eq!(out.stdout, msg);
}

#[test]
fn auto_update_learns_only_confident_verdicts() {
    let (home, test_spam, _) = trained_home();
    let before = (
        count(home.path(), "spam_messages"),
        count(home.path(), "clean_messages"),
    );
    let msg = fs::read(&test_spam[0]).expect("read");
    let out = run_with_input(
        home_cmd(home.path()).args(["-a", "--pipe", "--insert-probability"]),
        &msg,
    );
    let p: f64 = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            l.strip_prefix("X-Spam-Probability: ")
                .map(|v| v.parse().expect("p"))
        })
        .expect("probability");
    let after = (
        count(home.path(), "spam_messages"),
        count(home.path(), "clean_messages"),
    );
    let expected = if p > 0.99 {
        (before.0 + 1, before.1)
    } else if p < 0.01 {
        (before.0, before.1 + 1)
    } else {
        before
    };
    assert_eq!(after, expected, "p = {p}");
    // Unsure messages are never learned.
    let out = run_with_input(
        home_cmd(home.path()).args([
            "-a",
            "--auto-spam-above",
            "1.0",
            "--auto-clean-below",
            "0.0",
        ]),
        &msg,
    );
    assert!(out.status.code().is_some());
    assert_eq!(
        (
            count(home.path(), "spam_messages"),
            count(home.path(), "clean_messages")
        ),
        after
    );
}

#[test]
fn thirty_concurrent_deliveries_lose_no_counts() {
    let (home, test_spam, test_ham) = trained_home();
    let before = count(home.path(), "spam_messages") + count(home.path(), "clean_messages");
    let msgs: Vec<Vec<u8>> = test_spam
        .iter()
        .chain(&test_ham)
        .take(30)
        .map(|p| fs::read(p).expect("read"))
        .collect();
    let handles: Vec<_> = msgs
        .into_iter()
        .map(|m| {
            let h = home.path().to_path_buf();
            std::thread::spawn(move || {
                let out = run_with_input(
                    fumi().arg("--homedir").arg(&h).args([
                        "-a",
                        "--pipe",
                        "--insert-flag",
                        "--insert-probability",
                    ]),
                    &m,
                );
                assert_eq!(
                    out.status.code(),
                    Some(0),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                let p: f64 = text
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("X-Spam-Probability: ")
                            .map(|v| v.parse().expect("p"))
                    })
                    .expect("header");
                // The body comes out intact.
                let body_in = &m[m.windows(2).position(|w| w == b"\n\n").expect("body")..];
                assert!(out.stdout.ends_with(body_in));
                !(0.01..=0.99).contains(&p)
            })
        })
        .collect();
    let learned = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .filter(|&l| l)
        .count() as u64;
    let after = count(home.path(), "spam_messages") + count(home.path(), "clean_messages");
    assert_eq!(after, before + learned);
}
