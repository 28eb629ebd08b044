//! `--pipe` header insertion (`cli::pipe::rewrite`): never panics, and the
//! output minus the inserted lines is the input, byte for byte (the
//! property in tests/common/pipe_property.rs). The first input byte picks
//! the edit (which fields, a custom prefix, a subject prefix, a streamed
//! head); the rest is the message.
#![no_main]

use fumi::cli::pipe::{Edit, rewrite};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/pipe_property.rs"]
mod property;

fuzz_target!(|data: &[u8]| {
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
        // Outside the property (a changed Subject, replaced fields): each
        // of our fields is still there, with its value.
        for (n, v) in &fields {
            let line = format!("{n}: {v}");
            assert!(memchr::memmem::find(&out, line.as_bytes()).is_some(), "{line}");
        }
        return;
    }
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let block = property::block(&pairs, property::eol_of(msg));
    if let Err(e) = property::check(msg, &out, &block) {
        panic!("{e}");
    }
});
