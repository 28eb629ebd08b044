//! `--pipe` header insertion (`cli::pipe::rewrite`): never panics, and the
//! output minus the inserted lines is the input, byte for byte. The checks
//! are in tests/common/fuzz_checks.rs (shared with tests/fuzz_regressions.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/fuzz_checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::rewrite_property(data));
