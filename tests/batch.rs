//! Batch modes and `--eval` through the real binary: the evaluation's 50/50
//! split agrees with training and `--scan` on the same split, the report is
//! written, unreadable inputs are skipped, nothing is drawn on a pipe.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{corpus, files, fumi};
use sha2::{Digest, Sha256};

/// Trains `home` on `paths` with `flag` (`-s`, `-c`, `--add-spam` …).
fn learn(home: &Path, flag: &str, paths: &[PathBuf]) {
    let ok = fumi()
        .arg("--homedir")
        .arg(home)
        .arg(flag)
        .args(paths)
        .status()
        .expect("train")
        .success();
    assert!(ok, "training with {flag} failed");
}

/// A count from `--show-db-status` (`spam_messages`, `clean_messages`).
fn db_count(home: &Path, key: &str) -> u64 {
    let out = fumi()
        .arg("--homedir")
        .arg(home)
        .arg("--show-db-status")
        .output()
        .expect("status");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}\t"))?.parse().ok())
        .expect("count")
}

/// ../shared/bench's split: per class, ordered by sha256(seed \0 split \0
/// bytes) as hex (ties by path), the first half trains.
fn bench_split(paths: &[PathBuf], seed: &str) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut keyed: Vec<(String, PathBuf)> = paths
        .iter()
        .map(|p| {
            let mut h = Sha256::new();
            h.update(seed.as_bytes());
            h.update(b"\0split\0");
            h.update(fs::read(p).expect("read"));
            let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
            (hex, p.clone())
        })
        .collect();
    keyed.sort();
    let k = (paths.len() as f64 * 0.5).round() as usize;
    let (a, b) = keyed.split_at(k);
    (
        a.iter().map(|x| x.1.clone()).collect(),
        b.iter().map(|x| x.1.clone()).collect(),
    )
}

/// Mann–Whitney AUC with ties as half, in percent of (1 − AUC).
fn one_minus_auc(spam: &[f64], clean: &[f64]) -> f64 {
    let mut pairs = 0.0;
    for &s in spam {
        for &c in clean {
            pairs += if s > c {
                1.0
            } else if s == c {
                0.5
            } else {
                0.0
            };
        }
    }
    100.0 * (1.0 - pairs / (spam.len() * clean.len()) as f64)
}

fn scan(home: &Path, paths: &[PathBuf]) -> Vec<f64> {
    let out = fumi()
        .arg("--homedir")
        .arg(home)
        .arg("--scan")
        .args(paths)
        .output()
        .expect("scan");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            l.split('\t')
                .next()
                .expect("field")
                .parse()
                .expect("probability")
        })
        .collect()
}

#[test]
fn eval_split_agrees_with_training_and_scan() {
    let spam = files(&corpus().join("spam"));
    let ham = files(&corpus().join("ham"));
    let report = tempfile::tempdir().expect("tempdir");
    let html = report.path().join("report.html");
    let out = fumi()
        .args(["--eval", "--folds", "5", "--spam"])
        .arg(corpus().join("spam"))
        .arg("--clean")
        .arg(corpus().join("ham"))
        .arg("--report")
        .arg(&html)
        .output()
        .expect("eval");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(
        text.starts_with(&format!("corpus: {} spam, {} clean", spam.len(), ham.len())),
        "{text}"
    );
    for row in [
        "5-fold cross-validation",
        "50/50 split (spambench-v1)",
        "online, train everything",
        "online, train on error",
    ] {
        assert!(text.contains(row), "{row} missing: {text}");
    }
    assert!(text.contains("suggested (false positives 0.1%): --spam-cutoff "));
    let page = fs::read_to_string(&html).expect("report");
    assert_eq!(
        page.matches("<svg").count(),
        8,
        "ROC and histogram for four runs"
    );

    // The same split done by hand with the command line.
    let split_row = text
        .lines()
        .find(|l| l.starts_with("50/50 split"))
        .expect("row");
    let eval_auc: f64 = split_row
        .split_whitespace()
        .nth(3)
        .expect("field")
        .parse()
        .expect("number");
    let (train_spam, test_spam) = bench_split(&spam, "spambench-v1");
    let (train_ham, test_ham) = bench_split(&ham, "spambench-v1");
    let home = tempfile::tempdir().expect("tempdir");
    learn(home.path(), "--add-spam", &train_spam);
    learn(home.path(), "--add-clean", &train_ham);
    let cli_auc = one_minus_auc(
        &scan(home.path(), &test_spam),
        &scan(home.path(), &test_ham),
    );
    assert!(
        (cli_auc - eval_auc).abs() < 5e-5,
        "--eval {eval_auc} vs training + --scan {cli_auc}"
    );
}

#[test]
fn unreadable_inputs_are_reported_and_skipped() {
    let spam = files(&corpus().join("spam"));
    let home = tempfile::tempdir().expect("tempdir");
    learn(home.path(), "-s", &spam[..10]);
    let missing = home.path().join("no-such-message");
    let out = fumi()
        .arg("--homedir")
        .arg(home.path())
        .arg("--scan")
        .arg(&spam[0])
        .arg(&missing)
        .arg(&spam[1])
        .output()
        .expect("scan");
    assert_eq!(out.status.code(), Some(3), "an input could not be read");
    let text = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = text
        .lines()
        .map(|l| l.rsplit('\t').next().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        [spam[0].display().to_string(), spam[1].display().to_string()]
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-message"), "{err}");
    // Training goes on past it too.
    let out = fumi()
        .arg("--homedir")
        .arg(home.path())
        .arg("-s")
        .arg(&missing)
        .arg(&spam[20])
        .output()
        .expect("train");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(db_count(home.path(), "spam_messages"), 11);
}

#[test]
fn no_progress_bar_on_a_pipe_and_deterministic_order() {
    let home = tempfile::tempdir().expect("tempdir");
    let spam = files(&corpus().join("spam"));
    learn(home.path(), "-s", &spam[..20]);
    // A tree with nested folders, scanned twice: same lines, same order,
    // nothing on standard error.
    let tree = tempfile::tempdir().expect("tempdir");
    for (i, p) in spam.iter().take(30).enumerate() {
        let dir = tree.path().join(format!("d{}", i % 3)).join("sub");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::copy(p, dir.join(format!("{i}"))).expect("copy");
    }
    let run = || {
        fumi()
            .arg("--homedir")
            .arg(home.path())
            .arg("--scan")
            .arg(tree.path())
            .output()
            .expect("scan")
    };
    let (a, b) = (run(), run());
    assert_eq!(a.stdout, b.stdout);
    assert!(
        a.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    let lines = String::from_utf8_lossy(&a.stdout).lines().count();
    assert_eq!(lines, 30);
}

/// An mbox is cut into transactions by message, not by file: 25 messages
/// in one mbox, learned 4 at a time, all counted once; `--pipe` training
/// writes every message back, in order.
#[test]
fn one_mbox_is_learned_in_several_transactions() {
    let spam = files(&corpus().join("spam"));
    let mut mbox = Vec::new();
    for p in spam.iter().take(25) {
        let bytes = fs::read(p).expect("read");
        // Keep the messages free of mbox quoting questions.
        let text: Vec<u8> = String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|l| !l.starts_with("From "))
            .flat_map(|l| format!("{l}\n").into_bytes())
            .collect();
        mbox.extend_from_slice(b"From someone@example.com Fri Nov 27 10:00:00 2026\n");
        mbox.extend_from_slice(&text);
        mbox.push(b'\n');
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("spam.mbox");
    fs::write(&path, &mbox).expect("write");
    let home = dir.path().join("home");
    let out = fumi()
        .env("FUMI_TRAIN_BATCH", "4")
        .arg("--homedir")
        .arg(&home)
        .args(["--mbox", "-s", "--pipe", "--insert-flag"])
        .arg(&path)
        .output()
        .expect("train");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("X-Spam-Flag: Yes").count(), 25);
    assert_eq!(db_count(&home, "spam_messages"), 25);
    // Again: nothing changes, the digests are known.
    let again = fumi()
        .env("FUMI_TRAIN_BATCH", "4")
        .arg("--homedir")
        .arg(&home)
        .args(["--mbox", "-s", "-v"])
        .arg(&path)
        .output()
        .expect("train again");
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("learned 0, moved 0, unlearned 0, unchanged 25"),
        "{err}"
    );
    // Scanned in order, one line per message.
    let scan = fumi()
        .arg("--homedir")
        .arg(&home)
        .args(["--mbox", "--scan"])
        .arg(&path)
        .output()
        .expect("scan");
    let names: Vec<String> = String::from_utf8_lossy(&scan.stdout)
        .lines()
        .map(|l| l.rsplit('\t').next().unwrap_or("").to_string())
        .collect();
    let expected: Vec<String> = (1..=25)
        .map(|i| format!("{}:{i}", path.display()))
        .collect();
    assert_eq!(names, expected);
}

/// `--scan --auto-update` over many messages learns every confident verdict,
/// in transactions as it goes (FUMI_TRAIN_BATCH=4 here), and the scores it
/// prints are those of the database before the scan.
#[test]
fn scan_with_auto_update_learns_each_confident_verdict_once() {
    let spam = files(&corpus().join("spam"));
    let ham = files(&corpus().join("ham"));
    let home = tempfile::tempdir().expect("tempdir");
    learn(home.path(), "-s", &spam[..20]);
    learn(home.path(), "-c", &ham[..20]);
    let count = |key: &str| db_count(home.path(), key);
    let test: Vec<&PathBuf> = spam[20..].iter().chain(&ham[20..]).take(70).collect();
    let scan = |extra: &[&str]| {
        fumi()
            .env("FUMI_TRAIN_BATCH", "4")
            .arg("--homedir")
            .arg(home.path())
            .arg("--scan")
            .args(extra)
            .args(&test)
            .output()
            .expect("scan")
    };
    let plain = scan(&[]);
    let learning = scan(&[
        "-a",
        "--auto-spam-above",
        "0.9",
        "--auto-clean-below",
        "0.1",
    ]);
    assert_eq!(plain.stdout, learning.stdout, "scored before learning");
    let probs: Vec<f64> = String::from_utf8_lossy(&learning.stdout)
        .lines()
        .map(|l| {
            l.split('\t')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("p")
        })
        .collect();
    assert_eq!(probs.len(), test.len());
    let spam_learned = probs.iter().filter(|&&p| p > 0.9).count() as u64;
    let clean_learned = probs.iter().filter(|&&p| p < 0.1).count() as u64;
    assert!(
        spam_learned > 4 && clean_learned > 4,
        "{spam_learned} {clean_learned}"
    );
    assert_eq!(count("spam_messages"), 20 + spam_learned);
    assert_eq!(count("clean_messages"), 20 + clean_learned);
}
