//! Helpers shared by the integration tests: running the real binary, homes
//! in temporary directories, the corpus sample, and real servers.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The fumi binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fumi"))
}

/// A `fumi` command with a clean environment: no user home, no config.
pub fn fumi() -> Command {
    let mut c = Command::new(bin());
    c.env_remove("FUMI_HOME")
        .env("HOME", "/nonexistent-home-for-tests");
    c
}

/// Runs a command with `input` on standard input.
pub fn run_with_input(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    out
}

/// The corpus sample shipped in the repository.
pub fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// Test fixtures.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Files of a corpus directory, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    v
}

/// A temporary home trained on every other message of the corpus sample;
/// returns the home and the untrained halves (spam, ham).
pub fn trained_home() -> (tempfile::TempDir, Vec<PathBuf>, Vec<PathBuf>) {
    let home = tempfile::tempdir().expect("tempdir");
    let spam = files(&corpus().join("spam"));
    let ham = files(&corpus().join("ham"));
    let (train_spam, test_spam): (Vec<_>, Vec<_>) =
        spam.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let (train_ham, test_ham): (Vec<_>, Vec<_>) =
        ham.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    for (flag, set) in [("--add-spam", &train_spam), ("--add-clean", &train_ham)] {
        let out = fumi()
            .arg("--homedir")
            .arg(home.path())
            .arg(flag)
            .args(set.iter().map(|(_, p)| p))
            .output()
            .expect("train");
        assert!(
            out.status.success(),
            "training failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let strip = |v: Vec<(usize, &PathBuf)>| v.into_iter().map(|(_, p)| p.clone()).collect();
    (home, strip(test_spam), strip(test_ham))
}

/// Is `program` installed? When it is not, the test is skipped, except on
/// CI (`FUMI_REQUIRE_SERVERS=1`), where a missing program is a failure.
pub fn require_program(program: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
        || Path::new(program).is_file()
        || ["/usr/sbin", "/usr/lib/postfix/sbin", "/usr/lib/dovecot"]
            .iter()
            .any(|d| Path::new(d).join(program).is_file());
    if !found {
        if std::env::var_os("FUMI_REQUIRE_SERVERS").is_some() {
            panic!("{program} is required (FUMI_REQUIRE_SERVERS is set) but not installed");
        }
        eprintln!("skipping: {program} is not installed");
    }
    found
}

/// A free TCP port on 127.0.0.1, never one this test binary has handed out
/// before: the tests run in parallel threads, and the kernel may offer a
/// port again as soon as the probe socket closes, before the server that
/// was meant to take it has bound it.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}
