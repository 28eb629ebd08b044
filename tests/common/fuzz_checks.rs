//! What the fuzz targets (fuzz/fuzz_targets/) check on every input, shared
//! with tests/fuzz_regressions.rs, which runs each input the fuzzer found
//! (tests/fixtures/fuzz/TARGET/) through the same checks.

#![allow(dead_code)]

use fumi::cli::pipe::{Edit, rewrite};
use fumi::engine::{Counting, Engine};
use fumi::mail::{self, Limits};
use fumi::score::Params;
use fumi::token::{Options, Tokenizer};

#[path = "pipe_property.rs"]
mod property;

/// The engine `--pipe` uses by default, with the built-in dictionary.
pub fn engine() -> Engine {
    Engine {
        tokenizer: Tokenizer::new(Options::default()),
        limits: Limits::default(),
        params: Params::default(),
        counting: Counting::Presence,
        max_message_bytes: 2 << 20,
    }
}

/// Parsing and tokenizing: no panic; every token non-empty, not oversized,
/// and a valid database key; the dictionary in working order.
pub fn parse(e: &Engine, data: &[u8]) {
    let parsed = mail::parse(data, &e.limits);
    e.tokenizer.tokenize(&parsed, &mut |_, t| {
        assert!(!t.is_empty(), "empty token");
        assert!(t.len() < 4096, "oversized token {}", t.len());
    });
    let set = e.tokens(data);
    for (key, n) in set.iter() {
        assert!(n > 0);
        assert!(
            fumi::token::set::split_key(key).is_some(),
            "bad key {key:?}"
        );
    }
    let _ = e.digest(data);
    assert!(e.tokenizer.check().is_ok());
}

/// Header insertion: the first byte picks the edit (which fields, a custom
/// prefix, a Subject prefix, a streamed head), the rest is the message. No
/// panic; the output minus the inserted lines is the input (for inputs
/// without fields of our names and without a Subject edit), else each of
/// our fields is in the output.
pub fn rewrite_property(data: &[u8]) {
    let Some((&sel, msg)) = data.split_first() else {
        return;
    };
    let prefix = if sel & 1 == 0 { "Spam" } else { "Fumi-Test" };
    let mut fields: Vec<(String, String)> = Vec::new();
    if sel & 2 != 0 {
        fields.push((format!("X-{prefix}-Revision"), "fumi 0.1.0".into()));
    }
    fields.push((
        format!("X-{prefix}-Flag"),
        if sel & 4 != 0 { "Yes" } else { "No" }.into(),
    ));
    if sel & 8 != 0 {
        fields.push((format!("X-{prefix}-Probability"), "0.987654".into()));
    }
    let subject = sel & 16 != 0;
    let complete = sel & 32 == 0;
    let edit = Edit {
        fields: fields.clone(),
        subject_prefix: subject.then(|| "[SPAM] ".to_string()),
    };
    let out = rewrite(msg, &edit, complete);
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    if subject || property::mentions(msg, &names) {
        for (n, v) in &fields {
            let line = format!("{n}: {v}");
            assert!(
                memchr::memmem::find(&out, line.as_bytes()).is_some(),
                "{line}"
            );
        }
        return;
    }
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let block = property::block(&pairs, property::eol_of(msg));
    if let Err(e) = property::check(msg, &out, &block) {
        panic!("{e}");
    }
}
