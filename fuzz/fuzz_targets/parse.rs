//! Message parsing and tokenizing: any bytes through `mail::parse`, the
//! tokenizer (with the built-in IPADIC dictionary), the digest, and the
//! token set, as `--pipe`, `--scan` and training see a message. Fails on
//! any panic, and on a token the database could not store as it is.
#![no_main]

use std::sync::OnceLock;

use fumi::engine::{Counting, Engine};
use fumi::mail::{self, Limits};
use fumi::score::Params;
use fumi::token::{Options, Tokenizer};
use libfuzzer_sys::fuzz_target;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine {
        tokenizer: Tokenizer::new(Options::default()),
        limits: Limits::default(),
        params: Params::default(),
        counting: Counting::Presence,
        max_message_bytes: 2 << 20,
    })
}

fuzz_target!(|data: &[u8]| {
    let e = engine();
    let parsed = mail::parse(data, &e.limits);
    e.tokenizer.tokenize(&parsed, &mut |_, t| {
        assert!(!t.is_empty(), "empty token");
        assert!(t.len() < 4096, "oversized token {}", t.len());
    });
    let set = e.tokens(data);
    for (key, n) in set.iter() {
        assert!(n > 0);
        assert!(fumi::token::set::split_key(key).is_some(), "bad key {key:?}");
    }
    let _ = e.digest(data);
    assert!(e.tokenizer.check().is_ok());
});
