//! Header fields → tokens tagged with the header they came from.

use super::text::{Ctx, ascii_words, tokenize_text, words};
use super::url::{email_tokens, host_tokens, ip_tokens, is_ipv4};
use super::{Category, MAX_WORD_CHARS, with_ascii_lowercase, with_joined};
use crate::mail::Mail;

/// Headers that say nothing about the sender: added by the receiving side
/// (delivery agents, MUAs, other filters, fumi itself). Tokenizing them would
/// teach the filter where mail was stored, or its own past verdicts.
fn ignored(name: &str, opts: &super::Options) -> bool {
    const EXACT: &[&str] = &[
        "status",
        "x-status",
        "x-keywords",
        "x-uid",
        "x-uidl",
        "lines",
        "content-length",
        "delivered-to",
        "x-original-to",
        "delivery-date",
        "x-label",
        "x-gmail-labels",
        "x-bogosity",
        "x-dspam-result",
        "x-dspam-probability",
        "x-dspam-confidence",
        "x-dspam-signature",
        "x-imap",
        "x-imapbase",
        "x-envelope-to",
        "envelope-to",
        "x-rcpt-to",
        "x-mailscanner",
        "x-mailscanner-from",
        "x-sieve",
        "x-evolution",
        "x-flags",
        "x-mozilla-status",
        "x-mozilla-status2",
        "x-mozilla-keys",
    ];
    const PREFIX: &[&str] = &[
        "x-spam",
        "x-virus",
        "x-crm114",
        "x-spambayes",
        "x-dspam",
        "x-fumi",
        "x-bsfilter",
        "x-mozilla-",
        "x-asg-",
        "x-quarantine",
    ];
    EXACT.contains(&name)
        || PREFIX.iter().any(|p| name.starts_with(p))
        || opts.ignore_headers.iter().any(|h| h == name)
}

/// Headers whose short value is a useful token as a whole (`name:value`).
const VALUE_HEADERS: &[&str] = &[
    "x-priority",
    "x-msmail-priority",
    "importance",
    "precedence",
    "priority",
    "mime-version",
    "content-transfer-encoding",
    "x-mimeole",
    "organization",
    "errors-to",
    "x-accept-language",
    "content-language",
];

pub(super) fn tokenize_headers(mail: &Mail, ctx: &mut Ctx<'_, '_>) {
    // One buffer for the lower-case names of all fields.
    let mut lname = String::new();
    for field in &mail.headers {
        lname.clear();
        lname.push_str(&field.name);
        lname.make_ascii_lowercase();
        let lname = lname.as_str();
        if lname.is_empty() || ignored(lname, ctx.opts) {
            continue;
        }
        if ctx.opts.header_names && lname.len() <= 40 {
            ctx.sink.emit(Category::Header, lname);
        }
        let value = field.value.as_str();
        match lname {
            "subject" => {
                tokenize_text(value, Category::Subject, ctx);
                if value.trim().is_empty() {
                    ctx.sink.emit(Category::Subject, "(empty)");
                }
            }
            "from" => addresses(value, Category::From, ctx),
            "to" => addresses(value, Category::To, ctx),
            "cc" => addresses(value, Category::Cc, ctx),
            "reply-to" => addresses(value, Category::ReplyTo, ctx),
            "return-path" => addresses(value, Category::ReturnPath, ctx),
            "sender" => addresses(value, Category::Sender, ctx),
            "received" => received(value, ctx),
            "content-type" => {
                let ct = crate::mail::rfc2047::mime_type(value.as_bytes());
                if !ct.is_empty() {
                    ctx.sink.emit(Category::ContentType, &ct);
                }
                if let Some(cs) = crate::mail::rfc2047::header_param(value.as_bytes(), "charset") {
                    ctx.sink.emit(
                        Category::ContentType,
                        &format!("charset:{}", cs.trim().to_ascii_lowercase()),
                    );
                }
            }
            "x-mailer" | "user-agent" | "x-newsreader" => {
                let mut prev = String::new();
                words(value, Category::Mailer, ctx, &mut prev);
            }
            "message-id" => message_id(value, ctx),
            "list-id" => {
                let mut prev = String::new();
                words(value, Category::ListId, ctx, &mut prev);
            }
            "date" => {
                if let Some(tz) = value
                    .split_whitespace()
                    .find(|w| (w.starts_with('+') || w.starts_with('-')) && w.len() == 5)
                {
                    with_joined("date-tz:", tz, |t| ctx.sink.emit(Category::Header, t));
                }
            }
            n if VALUE_HEADERS.contains(&n) => {
                let v: String = value
                    .split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase();
                if !v.is_empty() && v.chars().count() <= MAX_WORD_CHARS {
                    ctx.sink.emit(Category::Header, &format!("{n}:{v}"));
                }
            }
            _ => {}
        }
    }
}

/// Addresses, their domains, and the words of display names.
fn addresses(value: &str, cat: Category, ctx: &mut Ctx<'_, '_>) {
    let mut name = String::new();
    for piece in value
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '<' | '>' | '"' | '(' | ')' | ';'))
    {
        if piece.is_empty() {
            continue;
        }
        if piece.contains('@') {
            email_tokens(piece, cat, ctx);
        } else {
            name.push_str(piece);
            name.push(' ');
        }
    }
    if !name.trim().is_empty() {
        tokenize_text(&name, cat, ctx);
    }
    if !value.contains('@') {
        ctx.sink.emit(cat, "(no-address)");
    }
}

/// Received: relay host names, IP addresses and /24 networks, and the
/// protocol words; ids and dates are left out.
fn received(value: &str, ctx: &mut Ctx<'_, '_>) {
    let punct = |c: char| matches!(c, '(' | ')' | '[' | ']' | ';' | '<' | '>' | '=' | ',');
    if value.is_ascii() {
        // The usual case, split by bytes (ASCII whitespace is what
        // `char::is_whitespace` matches below 0x80).
        let mut start = 0;
        for (i, &b) in value.as_bytes().iter().enumerate() {
            if RECEIVED_SEPARATOR[b as usize] {
                if let Some(piece) = value.get(start..i) {
                    received_piece(piece, ctx);
                }
                start = i + 1;
            }
        }
        if let Some(piece) = value.get(start..) {
            received_piece(piece, ctx);
        }
    } else {
        for piece in value.split(|c: char| c.is_whitespace() || punct(c)) {
            received_piece(piece, ctx);
        }
    }
}

/// The bytes that separate the pieces of an ASCII Received field: ASCII
/// whitespace and the punctuation of `received`'s `punct`, as a table (the
/// loop runs over every byte of every Received field).
static RECEIVED_SEPARATOR: [bool; 256] = {
    let mut t = [false; 256];
    let seps = b"\t\n\x0b\x0c\r ()[];<>=,";
    let mut i = 0;
    while i < seps.len() {
        t[seps[i] as usize] = true;
        i += 1;
    }
    t
};

/// One space- or punctuation-separated piece of a Received field.
fn received_piece(piece: &str, ctx: &mut Ctx<'_, '_>) {
    // Trimmed byte-wise: '.' and ':' are single bytes that never occur
    // inside a multibyte character.
    let b = piece.as_bytes();
    let trim = |c: &u8| *c == b'.' || *c == b':';
    let start = b.iter().position(|c| !trim(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !trim(c)).map_or(start, |i| i + 1);
    let Some(piece) = piece.get(start..end) else {
        return;
    };
    // What the piece is made of, in one pass over its bytes.
    let (mut seen, mut last_dot) = (0u8, None);
    for (i, &c) in piece.as_bytes().iter().enumerate() {
        seen |= PIECE_CLASS[c as usize];
        if c == b'.' {
            last_dot = Some(i);
        }
    }
    if piece.is_empty() || seen & P_NON_ASCII != 0 {
        return;
    }
    if seen & !(P_DIGIT | P_DOT) == 0 && is_ipv4(piece) {
        ip_tokens(piece, &mut ctx.sink);
    } else if let Some(dot) = last_dot
        && seen & !(P_DIGIT | P_LOWER | P_UPPER | P_DOT | P_DASH) == 0
    {
        // A host name, if its last label is two letters or more.
        let tld = &piece.as_bytes()[dot + 1..];
        if tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic) {
            with_ascii_lowercase(piece, |h| host_tokens(h, Category::Received, &mut ctx.sink));
        }
    } else if seen & P_AT == 0 && ctx.opts.received_words {
        ascii_words(piece, &mut |w| {
            if w.len() >= 2
                && w.len() <= 20
                && w.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
            {
                with_ascii_lowercase(w, |l| ctx.sink.emit(Category::Received, l));
            }
        });
    }
}

// Byte classes of `received_piece`, one bit each so that a piece's classes
// can be or-ed.
const P_DIGIT: u8 = 1;
const P_LOWER: u8 = 2;
const P_UPPER: u8 = 4;
const P_DOT: u8 = 8;
const P_DASH: u8 = 16;
const P_AT: u8 = 32;
const P_NON_ASCII: u8 = 64;
/// The other ASCII bytes.
const P_OTHER: u8 = 128;

/// The class of each byte in a Received piece, as a table.
static PIECE_CLASS: [u8; 256] = {
    let mut t = [P_OTHER; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_digit() {
            P_DIGIT
        } else if c.is_ascii_lowercase() {
            P_LOWER
        } else if c.is_ascii_uppercase() {
            P_UPPER
        } else if c == b'.' {
            P_DOT
        } else if c == b'-' {
            P_DASH
        } else if c == b'@' {
            P_AT
        } else if c >= 0x80 {
            P_NON_ASCII
        } else {
            P_OTHER
        };
        b += 1;
    }
    t
};

/// Message-ID: the domain part, or a marker when there is none.
fn message_id(value: &str, ctx: &mut Ctx<'_, '_>) {
    let v = value.trim().trim_start_matches('<');
    let v = v.split('>').next().unwrap_or("");
    match v.rsplit_once('@') {
        Some((_, domain)) if !domain.is_empty() => {
            let d = domain.to_ascii_lowercase();
            if d.len() <= 80 {
                ctx.sink.emit(Category::MessageId, &d);
            }
        }
        _ => ctx.sink.emit(Category::MessageId, "(no-domain)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The separator table of ASCII Received fields says what
    /// `char::is_whitespace` and the punctuation of `received` say.
    #[test]
    fn received_separators() {
        for b in 0..128u8 {
            let c = b as char;
            let want = c.is_whitespace()
                || matches!(c, '(' | ')' | '[' | ']' | ';' | '<' | '>' | '=' | ',');
            assert_eq!(RECEIVED_SEPARATOR[b as usize], want, "byte {b:#04x}");
        }
    }
}
