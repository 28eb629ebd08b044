//! Reliability, through the real binary (README, "Reliability"): load and
//! concurrency, kill -9 during training, full disk, read-only and damaged
//! homes, fatal signals, hostile and random input, and the permission
//! checks. The bigger versions with figures are scripts in contrib/.

// examples/hostile.rs and examples/load.rs both include the --pipe property.
#![allow(clippy::duplicate_mod)]

mod common;

#[path = "../examples/hostile.rs"]
mod hostile;
#[path = "../examples/load.rs"]
mod load;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{corpus, files, fumi, run_with_input};
use load::property;

fn home_cmd(home: &Path) -> Command {
    let mut c = fumi();
    c.arg("--homedir").arg(home);
    c
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// No panic, no fatal signal, no crash report.
fn assert_calm(out: &Output, what: &str) {
    let err = stderr(out);
    assert!(
        out.status.code().is_some(),
        "{what}: killed by a signal: {}",
        out.status
    );
    for bad in [
        "panicked",
        "internal error",
        "fatal",
        "RUST_BACKTRACE",
        "stack overflow",
        "bus error",
        "aborted",
        "illegal instruction",
        "arithmetic exception",
    ] {
        assert!(!err.contains(bad), "{what}: {err}");
    }
}

/// The whole database as text (`--export-db`), or None without one.
fn export(home: &Path) -> Option<String> {
    if !home.join("data.mdb").exists() {
        return None;
    }
    let out = home_cmd(home).arg("--export-db").output().expect("export");
    assert!(out.status.success(), "export: {}", stderr(&out));
    Some(String::from_utf8(out.stdout).expect("utf8"))
}

fn all_messages() -> Vec<PathBuf> {
    let mut v = files(&corpus().join("spam"));
    v.extend(files(&corpus().join("ham")));
    v
}

fn train(home: &Path, flag: &str, msgs: &[PathBuf]) {
    let out = home_cmd(home).arg(flag).args(msgs).output().expect("train");
    assert!(out.status.success(), "training: {}", stderr(&out));
}

fn trained(n: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let spam = files(&corpus().join("spam"));
    let ham = files(&corpus().join("ham"));
    train(&home, "--add-spam", &spam[..n.min(spam.len())]);
    train(&home, "--add-clean", &ham[..n.min(ham.len())]);
    (dir, home)
}

/// Runs with a file-size limit (RLIMIT_FSIZE) of `bytes`.
fn with_fsize_limit(cmd: &mut Command, bytes: u64) -> &mut Command {
    // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

fn is_root() -> bool {
    // SAFETY: no preconditions.
    unsafe { libc::geteuid() == 0 }
}

const MSG: &[u8] =
    b"From: a@example.com\nSubject: hello\nMessage-ID: <r1@example.com>\n\nbody text\n";

// ---------------------------------------------------------------- load

#[test]
fn concurrent_deliveries_bulk_training_and_scan_on_one_home() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let (ts, tc, deliveries, bulk, scan) =
        load::plan(&corpus(), 20, 60, 150).expect("corpus sample");
    let report = load::run(
        &common::bin(),
        &home,
        (&ts, &tc),
        deliveries,
        &bulk,
        &scan,
        (0.99, 0.01),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.latencies.len(), 20);
    assert!(
        report.learned_spam + report.learned_clean > 0,
        "some delivery was confident: {report:?}"
    );
    // The same with thresholds that make every delivery learn.
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let (ts, tc, deliveries, bulk, scan) = load::plan(&corpus(), 20, 30, 50).expect("plan");
    let report = load::run(
        &common::bin(),
        &home,
        (&ts, &tc),
        deliveries,
        &bulk,
        &scan,
        (0.0, 1.0),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.learned_spam + report.learned_clean, 20);
}

// ---------------------------------------------------------------- crashes

/// Does `export` equal the state after some whole number of committed
/// batches (`states`), or the empty database that exists before the first?
fn committed_state(export: &str, states: &[String]) -> Option<usize> {
    if let Some(k) = states.iter().position(|s| s == export) {
        return Some(k + 1);
    }
    let body: Vec<&str> = export
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("tokenizer "))
        .collect();
    (body == ["fumi-db-dump 1", "messages 0 0", "end 0 0"]).then_some(0)
}

#[test]
fn kill_9_during_training_leaves_whole_commits_and_rerunning_completes() {
    const BATCH: usize = 15;
    let msgs = all_messages();
    let dir = tempfile::tempdir().expect("tempdir");
    // The state after each committed batch: batches trained one run each.
    let reference = dir.path().join("reference");
    let mut states = Vec::new();
    for chunk in msgs.chunks(BATCH) {
        train(&reference, "--add-spam", chunk);
        states.push(export(&reference).expect("reference export"));
    }
    // One uninterrupted run, committing every BATCH messages, ends the same.
    let whole = dir.path().join("whole");
    let t0 = Instant::now();
    let out = home_cmd(&whole)
        .env("FUMI_TRAIN_BATCH", BATCH.to_string())
        .arg("--add-spam")
        .args(&msgs)
        .output()
        .expect("run");
    let full_run = t0.elapsed();
    assert!(out.status.success(), "{}", stderr(&out));
    let final_state = states.last().expect("states").clone();
    assert_eq!(export(&whole).as_ref(), Some(&final_state));

    let mut rng = hostile::Rng::new(0x5eed);
    let mut seen = std::collections::BTreeSet::new();
    for trial in 0..12 {
        let home = dir.path().join(format!("trial{trial}"));
        // Two kills on the same home, then a run to completion.
        for _ in 0..2 {
            let mut child = home_cmd(&home)
                .env("FUMI_TRAIN_BATCH", BATCH.to_string())
                .arg("--add-spam")
                .args(&msgs)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn");
            let micros = rng.below(full_run.as_micros() as usize * 11 / 10 + 1);
            std::thread::sleep(Duration::from_micros(micros as u64));
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
            if let Some(e) = export(&home) {
                let k = committed_state(&e, &states).unwrap_or_else(|| {
                    panic!("trial {trial}: not a committed state after kill -9:\n{e}")
                });
                seen.insert(k);
                let out = home_cmd(&home)
                    .arg("--show-db-status")
                    .output()
                    .expect("status");
                assert!(out.status.success(), "{}", stderr(&out));
            }
        }
        let out = home_cmd(&home)
            .arg("--add-spam")
            .args(&msgs)
            .output()
            .expect("rerun");
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            export(&home).as_ref(),
            Some(&final_state),
            "trial {trial}: rerun to completion differs from an uninterrupted run"
        );
    }
    eprintln!(
        "kill -9: 24 kills; committed batches seen after a kill: {seen:?} of 0..={}",
        states.len()
    );
    assert!(
        seen.len() >= 2,
        "kills landed at different points: {seen:?}"
    );
}

// ---------------------------------------------------------------- disk full

#[test]
fn disk_full_fails_cleanly_and_loses_nothing() {
    let (dir, home) = trained(10);
    let before = export(&home).expect("export");
    let limit = fs::metadata(home.join("data.mdb")).expect("md").len();
    let more = all_messages();
    // Training that needs a bigger file: one line, exit 3, nothing learned.
    let out = with_fsize_limit(home_cmd(&home).arg("--add-spam").args(&more), limit)
        .output()
        .expect("run");
    assert_calm(&out, "training on a full disk");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not learned"), "{err}");
    assert_eq!(export(&home).as_ref(), Some(&before));
    // Learning a delivered message: it goes out untouched, unlearned.
    let mut cmd = home_cmd(&home);
    with_fsize_limit(&mut cmd, limit);
    assert_learning_fails_open(cmd, "learning on a full disk");
    assert_eq!(export(&home).as_ref(), Some(&before));
    // A delivery that would learn: the message goes out with its headers.
    let out = run_with_input(
        with_fsize_limit(
            home_cmd(&home).args([
                "--pipe",
                "-a",
                "--auto-spam-above",
                "0",
                "--auto-clean-below",
                "1",
                "--insert-flag",
            ]),
            limit,
        ),
        MSG,
    );
    assert_calm(&out, "delivery on a full disk");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.ends_with(b"\n\nbody text\n"));
    assert!(memchr::memmem::find(&out.stdout, b"X-Spam-Flag: ").is_some());
    // An export to a file: fails, and leaves no partial file behind.
    let dump = dir.path().join("dump.txt");
    let out = with_fsize_limit(home_cmd(&home).arg("--export-db").arg(&dump), 4096)
        .output()
        .expect("run");
    assert_calm(&out, "export on a full disk");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let left: Vec<_> = fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["home"], "nothing half-written: {left:?}");
    // A new home on a full disk: exit 3, and later training works.
    let fresh = dir.path().join("fresh");
    let out = with_fsize_limit(home_cmd(&fresh).arg("--add-spam").args(&more), 4096)
        .output()
        .expect("run");
    assert_calm(&out, "creating a home on a full disk");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    // Once space is back, the same training completes.
    assert_eq!(export(&home).as_ref(), Some(&before));
    train(&home, "--add-spam", &more);
    train(&fresh, "--add-spam", &more);
    let reference = dir.path().join("reference");
    train(&reference, "--add-spam", &more);
    assert_eq!(export(&fresh), export(&reference));
}

// ---------------------------------------------------------------- damaged homes

/// Filtering with and without --pipe on a broken home: a one-line error
/// and exit 3, or the message untouched and exit 0. Learning with --pipe
/// (where there is a home to learn in) passes the message through too.
fn assert_fails_open(home: &Path, expect: &str) {
    let out = run_with_input(&mut home_cmd(home), MSG);
    assert_calm(&out, expect);
    assert_eq!(out.status.code(), Some(3), "{expect}: {}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(expect), "{expect}: {err}");
    let out = run_with_input(
        home_cmd(home).args(["--pipe", "-a", "--insert-flag", "--insert-probability"]),
        MSG,
    );
    assert_calm(&out, expect);
    assert_eq!(out.status.code(), Some(0), "{expect}: {}", stderr(&out));
    assert_eq!(out.stdout, MSG, "{expect}: the message untouched");
    assert!(stderr(&out).contains("passed through unchanged"));
    if home.exists() {
        assert_learning_fails_open(home_cmd(home), expect);
    }
}

/// `--add-spam --pipe` that cannot learn: the message untouched on stdout,
/// one line on stderr, exit 0.
fn assert_learning_fails_open(mut cmd: Command, expect: &str) {
    let out = run_with_input(cmd.args(["--add-spam", "--pipe", "--insert-flag"]), MSG);
    assert_calm(&out, expect);
    assert_eq!(out.status.code(), Some(0), "{expect}: {}", stderr(&out));
    assert_eq!(out.stdout, MSG, "{expect}: the message untouched");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("passed through unchanged"), "{err}");
}

#[test]
fn missing_damaged_and_truncated_databases() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_fails_open(&dir.path().join("none"), "no database");
    // Truncated: LMDB would read past the end of its map (SIGBUS).
    let (_d, home) = trained(20);
    let data = home.join("data.mdb");
    let len = fs::metadata(&data).expect("md").len();
    let f = fs::OpenOptions::new()
        .write(true)
        .open(&data)
        .expect("open");
    f.set_len(len / 2).expect("truncate");
    drop(f);
    assert_fails_open(&home, "truncated");
    let out = home_cmd(&home)
        .arg("--add-spam")
        .arg(&all_messages()[0])
        .output()
        .expect("run");
    assert_calm(&out, "training on a truncated file");
    assert_eq!(out.status.code(), Some(3));
    // Garbage where the data file should be.
    fs::write(&data, vec![0x5a; 64 << 10]).expect("write");
    let out = run_with_input(&mut home_cmd(&home), MSG);
    assert_calm(&out, "garbage");
    assert_eq!(out.status.code(), Some(3));
    let out = run_with_input(home_cmd(&home).args(["--pipe", "--insert-flag"]), MSG);
    assert_eq!((out.status.code(), out.stdout.as_slice()), (Some(0), MSG));
    // Zeroed pages in the middle of a real database.
    let (_d, home) = trained(20);
    let data = home.join("data.mdb");
    let mut bytes = fs::read(&data).expect("read");
    let n = bytes.len();
    bytes[n / 3..n / 3 + 16384].fill(0);
    fs::write(&data, &bytes).expect("write");
    for args in [&["--scan"][..], &["--pipe", "--insert-flag"]] {
        let out = run_with_input(home_cmd(&home).args(args).arg("-"), MSG);
        assert_calm(&out, "zeroed pages");
        if args[0] == "--pipe" {
            assert_eq!(out.status.code(), Some(0));
            assert!(out.stdout == MSG || out.stdout.ends_with(b"\n\nbody text\n"));
        }
    }
}

#[test]
fn map_full_grows_and_gives_the_same_database() {
    let msgs = all_messages();
    let dir = tempfile::tempdir().expect("tempdir");
    let small = dir.path().join("small");
    let out = home_cmd(&small)
        .env("FUMI_MAP_SIZE", "65536")
        .env("FUMI_TRAIN_BATCH", "40")
        .arg("--add-spam")
        .args(&msgs)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let normal = dir.path().join("normal");
    train(&normal, "--add-spam", &msgs);
    assert_eq!(export(&small), export(&normal));
    // Deliveries that learn into a map that must grow.
    let out = run_with_input(
        home_cmd(&small).env("FUMI_MAP_SIZE", "65536").args([
            "--pipe",
            "-a",
            "--auto-clean-below",
            "1",
            "--auto-spam-above",
            "0",
        ]),
        MSG,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    // A map that cannot grow (the file-size limit stops it): exit 3.
    let fresh = dir.path().join("fresh");
    let out = with_fsize_limit(
        home_cmd(&fresh)
            .env("FUMI_MAP_SIZE", "65536")
            .arg("--add-spam")
            .args(&msgs),
        256 << 10,
    )
    .output()
    .expect("run");
    assert_calm(&out, "map that cannot grow");
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn read_only_home_filters_and_refuses_to_learn() {
    let (_dir, home) = trained(20);
    let before = export(&home).expect("export");
    // A read-only file system (a read-only bind mount, as root); else the
    // files made read-only for their (non-root) owner.
    let root = is_root();
    let run = |args: &[&str], input: &[u8]| -> Output {
        let mut cmd = if root {
            let mut c = Command::new("unshare");
            c.args([
                "-m",
                "sh",
                "-c",
                r#"mount --bind -o ro "$0" "$0" && exec "$@""#,
            ])
            .arg(&home)
            .arg(common::bin());
            c
        } else {
            fumi()
        };
        cmd.env_remove("FUMI_HOME")
            .env("HOME", "/nonexistent-home-for-tests")
            .arg("--homedir")
            .arg(&home)
            .args(args);
        run_with_input(&mut cmd, input)
    };
    if !root {
        // The lock file stays writable: LMDB needs it to read safely (a
        // read-only lock file outside a read-only file system is exit 3,
        // or the message passed through with --pipe).
        fs::set_permissions(home.join("data.mdb"), fs::Permissions::from_mode(0o400))
            .expect("chmod");
        fs::set_permissions(&home, fs::Permissions::from_mode(0o500)).expect("chmod");
    } else if !common::require_program("unshare") {
        return;
    }
    let out = run(&["--scan", "-"], MSG);
    let probe = stderr(&out);
    if root && probe.contains("mount") {
        // No mount namespace here (a container without CAP_SYS_ADMIN).
        assert!(
            std::env::var_os("FUMI_REQUIRE_SERVERS").is_none(),
            "read-only bind mount failed: {probe}"
        );
        eprintln!("skipping: {probe}");
        return;
    }
    assert_calm(&out, "scan on a read-only home");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{probe}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("0."));
    // A delivery is filtered; --auto-update cannot learn and says so.
    let out = run(
        &[
            "--pipe",
            "-a",
            "--auto-clean-below",
            "1",
            "--auto-spam-above",
            "0",
            "--insert-flag",
        ],
        MSG,
    );
    assert_calm(&out, "delivery on a read-only home");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.starts_with(b"From: a@example.com\n"));
    assert!(memchr::memmem::find(&out.stdout, b"X-Spam-Flag: ").is_some());
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    // Training: one line, exit 3.
    let out = run(&["--add-spam", "-"], MSG);
    assert_calm(&out, "training on a read-only home");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    if !root {
        fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).expect("chmod");
        fs::set_permissions(home.join("data.mdb"), fs::Permissions::from_mode(0o600))
            .expect("chmod");
    }
    assert_eq!(export(&home), Some(before));
}

// ---------------------------------------------------------------- fatal signals

/// The child side of `fatal_signal_passes_the_message_through`: holds
/// standard input like --pipe does, then dies of `FUMI_TEST_SIGNAL`.
#[test]
#[ignore = "run by fatal_signal_passes_the_message_through"]
fn fatal_signal_child() {
    let Some(sig) = std::env::var("FUMI_TEST_SIGNAL")
        .ok()
        .and_then(|s| s.parse::<i32>().ok())
    else {
        return;
    };
    let out = std::env::var("FUMI_TEST_OUT").expect("output file");
    let f = fs::File::create(out).expect("create");
    // SAFETY: dup2 onto fd 1 of this (child) process.
    unsafe {
        libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&f), 1);
    }
    fumi::cli::fatal::install();
    let (head, more) = fumi::cli::input::read_stdin_head(1000).expect("read");
    fumi::cli::fatal::hold(&head, more);
    // SAFETY: raising a signal.
    unsafe {
        libc::raise(sig);
    }
    unreachable!("the handler exits");
}

#[test]
fn fatal_signal_passes_the_message_through() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Short (held whole) and long (the rest still on standard input).
    let long: Vec<u8> = hostile::big(50_000);
    for (sig, input) in [
        (libc::SIGSEGV, MSG.to_vec()),
        (libc::SIGBUS, long.clone()),
        (libc::SIGABRT, long),
    ] {
        let outfile = dir.path().join(format!("out{sig}"));
        let out = run_with_input(
            Command::new(std::env::current_exe().expect("exe"))
                .args(["--ignored", "--exact", "fatal_signal_child", "--nocapture"])
                .env("FUMI_TEST_SIGNAL", sig.to_string())
                .env("FUMI_TEST_OUT", &outfile),
            &input,
        );
        assert_eq!(out.status.code(), Some(0), "signal {sig}: {}", stderr(&out));
        assert!(stderr(&out).contains("message passed through unchanged"));
        assert_eq!(fs::read(&outfile).expect("read"), input, "signal {sig}");
    }
}

// ---------------------------------------------------------------- hostile input

#[test]
fn pathological_messages_finish_intact() {
    let (_dir, home) = trained(30);
    let cases = [
        ("big-message", hostile::big(6 << 20)),
        ("million-lines", hostile::many_lines(1_000_000)),
        ("mime-parts", hostile::many_parts(10_000)),
        ("nested-multipart", hostile::nested_multipart(1000)),
        ("nested-rfc822", hostile::nested_rfc822(1000)),
        ("long-word", hostile::long_word(1 << 20)),
        ("binary-garbage", hostile::garbage(1 << 20)),
        ("binary-body", hostile::garbage_body(1 << 20)),
        ("katakana-run", hostile::katakana(10_000)),
        ("kanji-subject", hostile::kanji_subject(650_000)),
        ("endless-header", hostile::endless_header(3 << 20)),
        ("base64-padding", hostile::base64_bomb(3 << 20)),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, msg) in &cases {
        let out = run_with_input(
            home_cmd(&home).args(["--pipe", "--insert-flag", "--insert-probability"]),
            msg,
        );
        assert_calm(&out, name);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        assert!(out.stderr.is_empty(), "{name}: {}", stderr(&out));
        let block = extract_block(&out.stdout).unwrap_or_else(|| panic!("{name}: no headers"));
        property::check(msg, &out.stdout, &block).unwrap_or_else(|e| panic!("{name}: {e}"));
        let path = dir.path().join(name);
        fs::write(&path, msg).expect("write");
        let out = home_cmd(&home)
            .arg("--scan")
            .arg(&path)
            .output()
            .expect("scan");
        assert_calm(&out, name);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{name}: {}",
            stderr(&out)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
        let out = home_cmd(&home)
            .arg("--add-spam")
            .arg(&path)
            .output()
            .expect("train");
        assert_calm(&out, name);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
    }
}

/// 500,000 nested attached messages overflowed mail-parser's recursion
/// (SIGSEGV; the fatal-signal handler still delivered the message). The
/// nesting is now bounded before parsing, whatever --max-message-size allows,
/// on the main thread (--pipe) and on the worker threads (--scan, training).
#[test]
fn nesting_deeper_than_the_stack_is_bounded() {
    let (dir, home) = trained(10);
    let msg = hostile::nested_rfc822(500_000);
    let big = ["--max-message-size", "100000000"];
    let out = run_with_input(
        home_cmd(&home)
            .args(["--pipe", "--insert-flag", "--insert-probability"])
            .args(big),
        &msg,
    );
    assert_calm(&out, "deep nesting");
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let block = extract_block(&out.stdout).expect("headers");
    property::check(&msg, &out.stdout, &block).unwrap_or_else(|e| panic!("{e}"));
    let paths: Vec<PathBuf> = (0..3)
        .map(|i| {
            let p = dir.path().join(format!("deep{i}"));
            let mut m = msg.clone();
            m.extend_from_slice(format!("{i}\n").as_bytes());
            fs::write(&p, m).expect("write");
            p
        })
        .collect();
    for flag in ["--scan", "--add-spam"] {
        let out = home_cmd(&home)
            .arg(flag)
            .args(big)
            .args(&paths)
            .output()
            .expect("run");
        assert_calm(&out, flag);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{flag}: {}",
            stderr(&out)
        );
    }
}

/// Our header block in a `--pipe` output of an input that has none of its
/// own: from `X-Spam-Flag: ` through the end of the probability line.
fn extract_block(out: &[u8]) -> Option<Vec<u8>> {
    let start = memchr::memmem::find_iter(out, b"X-Spam-Flag: ")
        .find(|&i| i == 0 || out[i - 1] == b'\n')?;
    let p = start + memchr::memmem::find(&out[start..], b"X-Spam-Probability: ")?;
    let end = p + memchr::memchr(b'\n', &out[p..])? + 1;
    Some(out[start..end].to_vec())
}

/// Random messages built from pieces that matter to header parsing.
fn random_message(rng: &mut hostile::Rng) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"From: a@example.com",
        b"Subject: hi",
        b"Subject: =?utf-8?B?54Sh5paZ?=",
        b"To: b@example.org",
        b"From ",
        b"Content-Type: multipart/mixed; boundary=\"b\"",
        b"--b",
        b"X-Other: v",
        b"Received: from x",
        b"\n",
        b"\n",
        b"\r\n",
        b"\r",
        b"\n\n",
        b"\r\n\r\n",
        b" ",
        b"\t",
        b":",
        b" folded",
        b"\tcontinued",
        b"body words here",
        b"\x00",
        b"\xff\xfe",
        b"\x1b$B",
        b"\xe6\x97\xa5\xe6\x9c\xac",
        b"Name",
        b"=?",
        b"=",
    ];
    let mut m = Vec::new();
    let n = rng.below(24);
    for _ in 0..n {
        if rng.below(6) == 0 {
            let k = rng.below(8);
            rng.fill(&mut m, k);
        } else {
            m.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
    }
    m
}

#[test]
fn pipe_output_minus_inserted_lines_is_the_input() {
    use fumi::cli::pipe::{Edit, rewrite};
    let mut rng = hostile::Rng::new(42);
    let mut headerless = 0;
    let mut cases = 0;
    for i in 0..50_000 {
        let msg = random_message(&mut rng);
        let prefix = if i % 3 == 0 { "Fumi" } else { "Spam" };
        let mut fields = vec![(format!("X-{prefix}-Flag"), "Yes".to_string())];
        if i % 2 == 0 {
            fields.push((format!("X-{prefix}-Probability"), "0.123456".to_string()));
        }
        if i % 5 == 0 {
            fields.insert(0, (format!("X-{prefix}-Revision"), "fumi 0".to_string()));
        }
        let edit = Edit {
            fields: fields.clone(),
            subject_prefix: None,
        };
        let out = rewrite(&msg, &edit, i % 7 != 0);
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        if property::mentions(&msg, &names) {
            continue;
        }
        cases += 1;
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let block = property::block(&pairs, property::eol_of(&msg));
        match property::check(&msg, &out, &block) {
            Ok(property::Inserted::BlockAndEmptyLine(_)) => headerless += 1,
            Ok(_) => {}
            Err(e) => panic!("case {i}: {e}"),
        }
    }
    assert!(cases > 40_000 && headerless > 1000, "{cases} {headerless}");
}

#[test]
fn pipe_property_through_the_binary() {
    let (_dir, home) = trained(10);
    let mut rng = hostile::Rng::new(7);
    let mut n = 0;
    while n < 300 {
        let msg = random_message(&mut rng);
        n += 1;
        let out = run_with_input(
            home_cmd(&home).args(["--pipe", "--insert-flag", "--insert-probability"]),
            &msg,
        );
        assert_calm(&out, "random message");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let block = extract_block(&out.stdout).expect("headers");
        property::check(&msg, &out.stdout, &block).unwrap_or_else(|e| panic!("{e}"));
    }
}

// ---------------------------------------------------------------- security

#[test]
fn files_written_by_others_are_refused() {
    let (dir, home) = trained(5);
    // lock.mdb, the data file and the home: group- or world-writable.
    for f in ["lock.mdb", "data.mdb", ""] {
        let p = home.join(f);
        let mode = fs::metadata(&p).expect("md").permissions().mode();
        fs::set_permissions(&p, fs::Permissions::from_mode(mode | 0o002)).expect("chmod");
        assert_fails_open(&home, "writable by other users");
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).expect("chmod");
    }
    // A configuration file others can write could set any option.
    let conf = home.join("fumi.conf");
    fs::write(&conf, "spam-cutoff 0.0\n").expect("write");
    fs::set_permissions(&conf, fs::Permissions::from_mode(0o666)).expect("chmod");
    assert_fails_open(&home, "configuration file");
    fs::set_permissions(&conf, fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = run_with_input(&mut home_cmd(&home), MSG);
    assert_eq!(
        out.status.code(),
        Some(0),
        "spam-cutoff 0 applies: {}",
        stderr(&out)
    );
    // Owned by another user: fumi run as nobody (65534) on nobody's home,
    // one file of which belongs to uid 4242 (only root can set this up).
    if !is_root() || !common::require_program("setpriv") {
        return;
    }
    // nobody must reach the home whatever the umask.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let chown = |p: &Path, uid: u32| std::os::unix::fs::chown(p, Some(uid), None).expect("chown");
    for p in [&home, &home.join("data.mdb"), &home.join("lock.mdb"), &conf] {
        chown(p, 65534);
    }
    fs::set_permissions(&conf, fs::Permissions::from_mode(0o644)).expect("chmod");
    let as_nobody = |args: &[&str]| {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(common::bin())
            .env_remove("FUMI_HOME")
            .env("HOME", "/nonexistent-home-for-tests")
            .arg("--homedir")
            .arg(&home)
            .args(args);
        run_with_input(&mut c, MSG)
    };
    let out = as_nobody(&[]);
    assert_eq!(out.status.code(), Some(0), "its own home: {}", stderr(&out));
    for f in ["fumi.conf", "lock.mdb", "data.mdb"] {
        chown(&home.join(f), 4242);
        let out = as_nobody(&[]);
        assert_eq!(out.status.code(), Some(3), "{f}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("writable by other users"),
            "{f}: {}",
            stderr(&out)
        );
        let out = as_nobody(&["--pipe", "--insert-flag"]);
        assert_eq!(
            (out.status.code(), out.stdout.as_slice()),
            (Some(0), MSG),
            "{f}"
        );
        chown(&home.join(f), 65534);
    }
}

#[test]
fn every_file_fumi_writes_is_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("h");
    train(&home, "--add-spam", &files(&corpus().join("spam"))[..3]);
    let mode = |p: &Path| fs::metadata(p).expect("md").permissions().mode() & 0o777;
    assert_eq!(mode(&home), 0o700);
    for f in ["data.mdb", "lock.mdb"] {
        assert_eq!(mode(&home.join(f)), 0o600, "{f}");
    }
    // Exports, also over an existing world-readable file.
    let old = dir.path().join("old.txt");
    fs::write(&old, "old").expect("write");
    fs::set_permissions(&old, fs::Permissions::from_mode(0o644)).expect("chmod");
    for (flag, target) in [
        ("--export-db", dir.path().join("db.txt")),
        ("--export-spam", dir.path().join("spam.txt")),
        ("--export-probability", dir.path().join("p.txt")),
        ("--export-db", old.clone()),
    ] {
        let out = home_cmd(&home)
            .arg(flag)
            .arg(&target)
            .output()
            .expect("export");
        assert!(out.status.success(), "{flag}: {}", stderr(&out));
        assert_eq!(mode(&target), 0o600, "{flag} {}", target.display());
    }
    assert!(
        fs::read_to_string(&old)
            .expect("read")
            .contains("fumi-db-dump")
    );
    // A restored home.
    let restored = dir.path().join("restored");
    let out = home_cmd(&restored)
        .arg("--import-db")
        .arg(dir.path().join("db.txt"))
        .output()
        .expect("import");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&restored), 0o700);
    assert_eq!(mode(&restored.join("data.mdb")), 0o600);
    assert_eq!(export(&restored), export(&home));
    // Nothing else was left in the directory (no temporary files).
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["db.txt", "h", "old.txt", "p.txt", "restored", "spam.txt"]
    );
}
