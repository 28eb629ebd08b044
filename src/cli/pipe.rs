//! Inserting fumi's headers into a message for `--pipe`, byte-exactly.
//!
//! The message is never re-encoded: fields are inserted at the end of the
//! header block with the message's own line ending, and earlier fields of the
//! same names (any case, with their continuation lines) are removed so that a
//! sender cannot forge them. Everything else is copied byte for byte.

/// Header edits for one message.
#[derive(Debug, Default)]
pub struct Edit {
    /// Fields to set: `(name, value)`.
    pub fields: Vec<(String, String)>,
    /// Prefix the Subject with this (adding a Subject if there is none).
    pub subject_prefix: Option<String>,
}

/// Is `name` usable in a header field name (`--header-prefix`)?
pub fn valid_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 60
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

struct Line {
    start: usize,
    end: usize,
}

/// Applies `edit` to `msg`. `complete` is false when more of the message
/// follows (it is streamed); then a header block that does not end within
/// `msg` is left alone and the fields are put first.
pub fn rewrite(msg: &[u8], edit: &Edit, complete: bool) -> Vec<u8> {
    let eol: &[u8] = match memchr::memchr(b'\n', msg) {
        Some(i) if i > 0 && msg[i - 1] == b'\r' => b"\r\n",
        _ => b"\n",
    };
    let mut out = Vec::with_capacity(msg.len() + 128);
    // An mbox "From " line stays first.
    let mut pos = 0;
    if msg.starts_with(b"From ")
        && let Some(i) = memchr::memchr(b'\n', msg)
    {
        pos = i + 1;
    }
    out.extend_from_slice(&msg[..pos]);
    let new_fields = |out: &mut Vec<u8>, with_subject: bool| {
        for (name, value) in &edit.fields {
            push_field(out, name, value, eol);
        }
        if with_subject && let Some(p) = &edit.subject_prefix {
            push_field(out, "Subject", p.trim_end(), eol);
        }
    };

    if !crate::mail::starts_with_header(&msg[pos..]) {
        // No header block: ours becomes one, with the separating empty line.
        new_fields(&mut out, true);
        out.extend_from_slice(eol);
        out.extend_from_slice(&msg[pos..]);
        return out;
    }

    // Collect the header lines up to the empty line.
    let mut lines = Vec::new();
    let mut i = pos;
    let mut terminated = false;
    while i < msg.len() {
        let end = memchr::memchr(b'\n', &msg[i..]).map_or(msg.len(), |e| i + e + 1);
        let line = &msg[i..end];
        if line == b"\n" || line == b"\r\n" {
            terminated = true;
            break;
        }
        if end == msg.len() && !line.ends_with(b"\n") {
            break; // last line without line ending
        }
        lines.push(Line { start: i, end });
        i = end;
    }
    if !terminated && (!complete || i < msg.len()) {
        // The header block does not end where we can see it (streamed, or a
        // last line without a line ending): put our fields first, and drop
        // forged ones from the lines we have.
        new_fields(&mut out, false);
        copy_fields(msg, &lines, &edit.fields, None, &mut out);
        out.extend_from_slice(&msg[i..]);
        return out;
    }

    let saw_subject = copy_fields(
        msg,
        &lines,
        &edit.fields,
        edit.subject_prefix.as_deref(),
        &mut out,
    );
    new_fields(&mut out, edit.subject_prefix.is_some() && !saw_subject);
    out.extend_from_slice(&msg[i..]);
    out
}

/// Copies header lines, leaving out fields named as ours (any case, with
/// their continuation lines) and prefixing the first Subject; returns
/// whether there was a Subject.
fn copy_fields(
    msg: &[u8],
    lines: &[Line],
    ours: &[(String, String)],
    subject_prefix: Option<&str>,
    out: &mut Vec<u8>,
) -> bool {
    let mut skipping = false;
    let mut saw_subject = false;
    for l in lines {
        let line = &msg[l.start..l.end];
        let continuation = matches!(line.first(), Some(b' ') | Some(b'\t'));
        if continuation {
            if !skipping {
                out.extend_from_slice(line);
            }
            continue;
        }
        let name = field_name(line);
        skipping = name.is_some_and(|n| ours.iter().any(|(w, _)| w.eq_ignore_ascii_case(n)));
        if skipping {
            continue;
        }
        if let (Some(prefix), Some(n)) = (subject_prefix, name)
            && n.eq_ignore_ascii_case("subject")
            && !saw_subject
        {
            saw_subject = true;
            out.extend_from_slice(&prefixed_subject(line, prefix));
            continue;
        }
        out.extend_from_slice(line);
    }
    saw_subject
}

fn push_field(out: &mut Vec<u8>, name: &str, value: &str, eol: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(eol);
}

/// The field name of a header line, if it has one.
fn field_name(line: &[u8]) -> Option<&str> {
    let colon = memchr::memchr(b':', line)?;
    let name = line[..colon].trim_ascii_end();
    if name.is_empty() || !name.iter().all(|&b| b > b' ' && b < 127) {
        return None;
    }
    std::str::from_utf8(name).ok()
}

/// `Subject: x` → `Subject: [SPAM] x`, unless it already starts with the
/// prefix.
fn prefixed_subject(line: &[u8], prefix: &str) -> Vec<u8> {
    let colon = memchr::memchr(b':', line).unwrap_or(0);
    let mut value_start = colon + 1;
    if line.get(value_start) == Some(&b' ') {
        value_start += 1;
    }
    let value = &line[value_start..];
    let mut out = line[..value_start].to_vec();
    if line.get(colon + 1) != Some(&b' ') {
        out.push(b' ');
    }
    if !value.starts_with(prefix.trim_end().as_bytes()) {
        out.extend_from_slice(prefix.as_bytes());
    }
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit() -> Edit {
        Edit {
            fields: vec![
                ("X-Spam-Flag".into(), "Yes".into()),
                ("X-Spam-Probability".into(), "0.999000".into()),
            ],
            subject_prefix: None,
        }
    }

    fn s(v: Vec<u8>) -> String {
        String::from_utf8(v).expect("utf8")
    }

    #[test]
    fn inserts_at_end_of_header_block() {
        let m = b"From: a\nSubject: hi\n\nbody\n";
        assert_eq!(
            s(rewrite(m, &edit(), true)),
            "From: a\nSubject: hi\nX-Spam-Flag: Yes\nX-Spam-Probability: 0.999000\n\nbody\n"
        );
    }

    #[test]
    fn keeps_crlf_and_replaces_forged_headers() {
        let m = b"From: a\r\nx-spam-flag: No\r\n  folded\r\nX-SPAM-PROBABILITY: 0.0\r\nTo: b\r\n\r\nbody\r\n";
        assert_eq!(
            s(rewrite(m, &edit(), true)),
            "From: a\r\nTo: b\r\nX-Spam-Flag: Yes\r\nX-Spam-Probability: 0.999000\r\n\r\nbody\r\n"
        );
    }

    #[test]
    fn headerless_and_empty_input() {
        assert_eq!(
            s(rewrite(b"plain text\n", &edit(), true)),
            "X-Spam-Flag: Yes\nX-Spam-Probability: 0.999000\n\nplain text\n"
        );
        assert_eq!(
            s(rewrite(b"", &edit(), true)),
            "X-Spam-Flag: Yes\nX-Spam-Probability: 0.999000\n\n"
        );
    }

    #[test]
    fn headers_only_and_unterminated() {
        assert_eq!(
            s(rewrite(b"A: b\n", &edit(), true)),
            "A: b\nX-Spam-Flag: Yes\nX-Spam-Probability: 0.999000\n"
        );
        assert_eq!(
            s(rewrite(b"A: b", &edit(), true)),
            "X-Spam-Flag: Yes\nX-Spam-Probability: 0.999000\nA: b"
        );
        assert_eq!(
            s(rewrite(b"A: b\nC: d", &edit(), false)),
            "X-Spam-Flag: Yes\nX-Spam-Probability: 0.999000\nA: b\nC: d"
        );
    }

    #[test]
    fn forged_fields_dropped_from_an_unterminated_header() {
        assert_eq!(
            s(rewrite(b"A: b\nX-Spam-Flag: No\n x\nC: d", &edit(), true)),
            "X-Spam-Flag: Yes\nX-Spam-Probability: 0.999000\nA: b\nC: d"
        );
        assert_eq!(
            s(rewrite(b"x-spam-probability: 0\nC: d\n", &edit(), false)),
            "X-Spam-Flag: Yes\nX-Spam-Probability: 0.999000\nC: d\n"
        );
    }

    #[test]
    fn mbox_from_line_stays_first() {
        assert_eq!(
            s(rewrite(b"From x Mon\nA: b\n\nz", &edit(), true)),
            "From x Mon\nA: b\nX-Spam-Flag: Yes\nX-Spam-Probability: 0.999000\n\nz"
        );
    }

    #[test]
    fn subject_prefix() {
        let mut e = edit();
        e.subject_prefix = Some("[SPAM] ".into());
        assert_eq!(
            s(rewrite(b"Subject: buy now\n\nb", &e, true)),
            "Subject: [SPAM] buy now\nX-Spam-Flag: Yes\nX-Spam-Probability: 0.999000\n\nb"
        );
        assert_eq!(
            s(rewrite(b"Subject: [SPAM] x\n\nb", &e, true))
                .lines()
                .next(),
            Some("Subject: [SPAM] x")
        );
        assert!(s(rewrite(b"From: a\n\nb", &e, true)).contains("Subject: [SPAM]\n"));
    }
}
