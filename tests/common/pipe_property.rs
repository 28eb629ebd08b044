//! The `--pipe` property, shared by tests/reliability.rs and the `rewrite`
//! fuzz target: the output minus the lines fumi inserted is the input, byte
//! for byte.
//!
//! "The lines fumi inserted" are exactly: its own fields (`X-Spam-Flag`,
//! `X-Spam-Probability`, `X-Spam-Revision`, or the `--header-prefix`
//! names), one after the other, each `Name: value` plus the message's line
//! ending (that of its first line: CRLF if the first line ends in CRLF,
//! else LF), and, when the input has no header block, the empty line fumi
//! adds after them to make one. They are inserted at one place, inside the
//! header block (before its first empty line). Inputs that already contain
//! fields of those names are outside the property: fumi replaces them.

#![allow(dead_code)]

/// The line ending fumi copies: the first line's.
pub fn eol_of(msg: &[u8]) -> &'static [u8] {
    match memchr::memchr(b'\n', msg) {
        Some(i) if i > 0 && msg[i - 1] == b'\r' => b"\r\n",
        _ => b"\n",
    }
}

/// The inserted block for these fields.
pub fn block(fields: &[(&str, &str)], eol: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for (n, v) in fields {
        b.extend_from_slice(n.as_bytes());
        b.extend_from_slice(b": ");
        b.extend_from_slice(v.as_bytes());
        b.extend_from_slice(eol);
    }
    b
}

/// Does the input contain a line starting with one of these field names
/// (any case)? Such inputs are outside the property.
pub fn mentions(input: &[u8], names: &[&str]) -> bool {
    let lower = input.to_ascii_lowercase();
    names
        .iter()
        .any(|n| memchr::memmem::find(&lower, n.to_ascii_lowercase().as_bytes()).is_some())
}

/// How `output` is `input` plus `block`.
#[derive(Debug, PartialEq, Eq)]
pub enum Inserted {
    /// The block alone, at this offset of the input.
    Block(usize),
    /// The block and an empty line, at the start (after an mbox From line):
    /// the input had no header block.
    BlockAndEmptyLine(usize),
}

/// Checks the property; returns where the block went, or why it fails.
pub fn check(input: &[u8], output: &[u8], block: &[u8]) -> Result<Inserted, String> {
    let eol = eol_of(input);
    let common = input.iter().zip(output).take_while(|(a, b)| a == b).count();
    // The block starts at or before the first difference.
    let mut found = None;
    for p in 0..=common.min(input.len()) {
        let rest = &output[p..];
        if !rest.starts_with(block) {
            continue;
        }
        let after = &rest[block.len()..];
        if after == &input[p..] {
            found = Some(Inserted::Block(p));
            break;
        }
        if after.starts_with(eol) && after[eol.len()..] == input[p..] {
            found = Some(Inserted::BlockAndEmptyLine(p));
            break;
        }
    }
    let Some(found) = found else {
        return Err(format!(
            "output is not the input plus {:?}\n input: {:?}\noutput: {:?}",
            String::from_utf8_lossy(block),
            String::from_utf8_lossy(&input[..input.len().min(400)]),
            String::from_utf8_lossy(&output[..output.len().min(400)])
        ));
    };
    let p = match found {
        Inserted::Block(p) | Inserted::BlockAndEmptyLine(p) => p,
    };
    // Inside the header block: no empty line before the insertion point.
    let before = &input[..p];
    let from_line = if input.starts_with(b"From ") {
        memchr::memchr(b'\n', input).map_or(0, |i| i + 1)
    } else {
        0
    };
    if p < from_line {
        return Err(format!("inserted inside the mbox From line at {p}"));
    }
    let head = &before[from_line..];
    if head.starts_with(b"\n")
        || head.starts_with(b"\r\n")
        || memchr::memmem::find(head, b"\n\n").is_some()
        || memchr::memmem::find(head, b"\n\r\n").is_some()
    {
        return Err(format!("inserted after the header block, at {p}"));
    }
    if matches!(found, Inserted::BlockAndEmptyLine(_)) && p != from_line {
        return Err(format!("an empty line added in the middle, at {p}"));
    }
    Ok(found)
}
