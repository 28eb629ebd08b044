//! Every input the fuzzers found a problem with (tests/fixtures/fuzz/TARGET/,
//! copied from fuzz/artifacts/), run through the fuzz targets' own checks and
//! through the binary. README, "Reliability"; contrib/fuzz.sh runs the fuzzers.

mod common;

#[path = "common/fuzz_checks.rs"]
mod checks;

use std::fs;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = common::fixture("fuzz").join(target);
    let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .map(|d| {
            d.map(|e| {
                let p = e.expect("entry").path();
                (p.display().to_string(), fs::read(&p).expect("read"))
            })
            .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn parse_findings() {
    let e = checks::engine();
    let found = inputs("parse");
    assert!(!found.is_empty());
    for (name, data) in &found {
        eprintln!("{name}");
        checks::parse(&e, data);
        // And the whole way through the binary, without a database.
        let out = common::run_with_input(common::fumi().arg("--show-tokens"), data);
        assert_eq!(out.status.code(), Some(0), "{name}");
        assert!(
            !String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|l| l.ends_with('\t')),
            "{name}: an empty token"
        );
    }
}

#[test]
fn rewrite_findings() {
    for (name, data) in inputs("rewrite") {
        eprintln!("{name}");
        checks::rewrite_property(&data);
    }
}
