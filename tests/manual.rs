//! The manual page and shell completions in contrib/ are what the binary
//! generates now, and contrib/fumi.conf.example names every option with a
//! value fumi accepts.
//!
//! After changing options, refresh the generated files with
//! `FUMI_UPDATE_CONTRIB=1 cargo test --release --test manual`.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::{CommandFactory, Parser};
use fumi::cli::args::{Args, config_args};

fn contrib(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("contrib")
        .join(rel)
}

#[test]
fn generated_files_are_up_to_date() {
    let update = std::env::var_os("FUMI_UPDATE_CONTRIB").is_some();
    let mut stale = Vec::new();
    for (kind, rel) in [
        ("man", "man/fumi.1"),
        ("bash", "completions/fumi.bash"),
        ("zsh", "completions/_fumi"),
        ("fish", "completions/fumi.fish"),
    ] {
        let out = common::fumi()
            .args(["--generate", kind])
            .output()
            .expect("run");
        assert!(out.status.success(), "--generate {kind}");
        assert!(!out.stdout.is_empty());
        let path = contrib(rel);
        if update {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, &out.stdout).expect("write");
        } else if std::fs::read(&path).ok().as_deref() != Some(&out.stdout[..]) {
            stale.push(rel);
        }
    }
    assert!(
        stale.is_empty(),
        "contrib/{stale:?} differ from `fumi --generate`; run \
         FUMI_UPDATE_CONTRIB=1 cargo test --release --test manual"
    );
}

#[test]
fn man_page_renders() {
    if !common::require_program("man") {
        return;
    }
    let out = std::process::Command::new("man")
        .arg("-l")
        .arg(contrib("man/fumi.1"))
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .output()
        .expect("man");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "SYNOPSIS",
        "EXIT STATUS",
        "--import-bogofilter",
        "--jtokenizer",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
}

#[test]
fn example_config_names_every_option() {
    let text = std::fs::read_to_string(contrib("fumi.conf.example")).expect("read");
    let cmd = Args::command();
    let all: BTreeSet<String> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long().map(str::to_string))
        .filter(|l| l != "help" && l != "version")
        .collect();
    let mut seen = BTreeSet::new();
    for line in text.lines() {
        // Option lines are "#name value"; prose is "# text" or "## text".
        let Some(opt) = line.strip_prefix('#') else {
            assert!(
                line.trim().is_empty(),
                "an active setting in the example: {line:?}"
            );
            continue;
        };
        if !opt.starts_with(|c: char| c.is_ascii_lowercase()) {
            continue;
        }
        let argv: Vec<_> = std::iter::once("fumi".into())
            .chain(config_args(opt))
            .collect();
        if let Err(e) = Args::try_parse_from(&argv) {
            panic!("{line:?} does not parse: {e}");
        }
        seen.insert(opt.split_whitespace().next().expect("name").to_string());
    }
    let missing: Vec<_> = all.difference(&seen).collect();
    assert!(missing.is_empty(), "not in fumi.conf.example: {missing:?}");
    let unknown: Vec<_> = seen.difference(&all).collect();
    assert!(unknown.is_empty(), "not options: {unknown:?}");
}
