//! Message parsing and tokenizing: any bytes through `mail::parse`, the
//! tokenizer (with the built-in IPADIC dictionary), the token set and the
//! digest, as `--pipe`, `--scan` and training see a message. The checks are
//! in tests/common/fuzz_checks.rs (shared with tests/fuzz_regressions.rs).
#![no_main]

use std::sync::OnceLock;

use fumi::engine::Engine;
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/fuzz_checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| {
    static E: OnceLock<Engine> = OnceLock::new();
    checks::parse(E.get_or_init(checks::engine), data);
});
