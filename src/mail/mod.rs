//! Raw message bytes → decoded header fields, body texts and part metadata.
//!
//! `mail-parser` finds the MIME structure; everything that turns bytes into
//! text (transfer encodings, charsets, RFC 2047, HTML) is done here so that
//! Japanese labels, sniffing and broken input are handled one way. Parsing
//! never fails: empty input, input without a header block, broken multipart
//! structure and garbage encodings all give a [`Mail`], with what could not be
//! read noted in [`PartInfo::problem`].

pub mod charset;
pub mod html;
pub mod rfc2047;
pub mod transfer;

use std::borrow::Cow;
use std::sync::LazyLock;

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::parsers::MessageStream;
use mail_parser::{
    Encoding, GetHeader, HeaderName, HeaderValue, Message, MessageParser, MessagePart, PartType,
};

/// Bounds on the work spent on one message.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Decoded bytes of text read from each part, and raw bytes read from
    /// each header field (the rest is ignored).
    pub max_part_bytes: usize,
    /// Parts examined per message.
    pub max_parts: usize,
    /// `message/rfc822` nesting followed.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_part_bytes: 64 * 1024,
            max_parts: 1000,
            max_depth: 8,
        }
    }
}

/// A decoded header field.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The name: mail-parser's spelling for the names it knows (`Subject`,
    /// `Message-ID`; borrowed, no allocation per field), as written for
    /// the others.
    pub name: Cow<'static, str>,
    /// The value, unfolded and decoded to one line of text.
    pub value: String,
}

/// Where a body text came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    Plain,
    Html,
    /// The Subject of an attached message.
    InnerSubject,
}

/// A piece of readable text.
#[derive(Clone, Debug)]
pub struct Body {
    pub kind: BodyKind,
    pub text: String,
    /// Link targets found in HTML markup.
    pub links: Vec<String>,
}

/// What a leaf MIME part is.
#[derive(Clone, Debug, Default)]
pub struct PartInfo {
    /// `type/subtype`, lower case; empty when the part declares none.
    pub mime_type: String,
    /// The declared charset label, lower case.
    pub charset: Option<String>,
    /// The attachment file name, decoded.
    pub filename: Option<String>,
    /// The Content-Transfer-Encoding, lower case.
    pub transfer_encoding: Option<String>,
    /// Something that could not be read: `bad-base64`, `binary-text`.
    pub problem: Option<&'static str>,
    /// 0 for the message itself, 1 inside an attached message, …
    pub depth: usize,
}

/// A parsed message.
#[derive(Clone, Debug, Default)]
pub struct Mail {
    /// Top-level header fields in order.
    pub headers: Vec<Field>,
    /// Readable texts in order.
    pub bodies: Vec<Body>,
    /// Every part (leaf, multipart container or attached message) in order.
    pub parts: Vec<PartInfo>,
    /// The input had no header block and was read as one body.
    pub headerless: bool,
}

impl Mail {
    /// The first top-level field with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
    }
}

/// Content types that open a level of MIME structure read before parsing
/// stops. mail-parser parses an attached message (`message/rfc822`) by
/// recursion: 500,000 nested ones (27 MB, with `--max-message-size` raised)
/// overflowed the 8 MiB main stack. Each level needs a `message/` or
/// `multipart/` type, so cutting the input before the 257th of them bounds
/// the depth whatever the bytes; a legitimate message has a few (a digest
/// of many attached messages loses only the ones after the 256th).
const MAX_STRUCTURE_TYPES: usize = 256;

/// `raw` up to (not including) the `MAX_STRUCTURE_TYPES + 1`-th occurrence
/// of `message/` or `multipart/` (any case).
fn bound_nesting(raw: &[u8]) -> &[u8] {
    let mut seen = 0;
    for slash in memchr::memchr_iter(b'/', raw) {
        let before = &raw[..slash];
        let is_type = |word: &[u8]| {
            before.len() >= word.len()
                && before[before.len() - word.len()..].eq_ignore_ascii_case(word)
        };
        if is_type(b"message") || is_type(b"multipart") {
            seen += 1;
            if seen > MAX_STRUCTURE_TYPES {
                return &raw[..slash - if is_type(b"message") { 7 } else { 9 }];
            }
        }
    }
    raw
}

/// Parses and decodes a raw message. Never fails and never panics.
pub fn parse(raw: &[u8], limits: &Limits) -> Mail {
    let mut mail = Mail::default();
    let raw = bound_nesting(skip_mbox_from_line(raw));
    let parsed = if starts_with_header(raw) {
        // Only the MIME headers are parsed by mail-parser (it needs them for
        // the structure); every other field is read from its raw bytes by
        // `walk`, so mail-parser only records where it is.
        let parser = &*PARSER;
        single_text_part(parser, raw).or_else(|| parser.parse(raw))
    } else {
        None
    };
    match parsed {
        Some(msg) => walk(&msg, 0, &mut mail, limits),
        None => {
            mail.headerless = true;
            if !raw.is_empty() {
                let text = decode_text(raw, None, limits);
                mail.bodies.push(Body {
                    kind: BodyKind::Plain,
                    text,
                    links: Vec::new(),
                });
            }
        }
    }
    mail
}

/// The parser of `parse`, made once (it is a hash map of header names).
static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
    MessageParser::new()
        .with_mime_headers()
        .default_header_ignore()
});

/// What `parser.parse(raw)` gives for a message of one text part (plain or
/// HTML, most mail), without charset-decoding an ASCII body that a
/// single-byte charset label would leave as it is (mail-parser decodes
/// those a character at a time). `None` when the message is anything else
/// or anything is unusual: then `parser.parse` reads it.
///
/// It does what mail-parser's `parse` does for the first part, with the
/// same calls: the header block, the content type read as `parse` reads it,
/// the transfer decoding, and the charset decoder `parse` would use (which
/// is skipped only for ASCII bytes with a label of [`ascii_transparent`]).
fn single_text_part<'x>(parser: &MessageParser, raw: &'x [u8]) -> Option<Message<'x>> {
    let mut stream = MessageStream::new(raw);
    let mut headers = Vec::new();
    if !stream.parse_headers(parser, &mut headers) {
        return None;
    }
    let offset_body = stream.offset();
    let content_type = headers
        .header_value(&HeaderName::ContentType)
        .and_then(|c| c.as_content_type());
    let html = match content_type {
        None => false,
        Some(ct) if ct.ctype() == "text" => match ct.subtype() {
            Some("plain") => false,
            Some("html") => true,
            _ => return None,
        },
        Some(_) => return None,
    };
    type Decode<'x> = fn(&mut MessageStream<'x>, &[u8]) -> (usize, Cow<'x, [u8]>);
    let (encoding, decode): (Encoding, Decode<'x>) =
        match headers.header_value(&HeaderName::ContentTransferEncoding) {
            Some(HeaderValue::Text(e)) if e.eq_ignore_ascii_case("base64") => {
                (Encoding::Base64, MessageStream::decode_base64_mime)
            }
            Some(HeaderValue::Text(e)) if e.eq_ignore_ascii_case("quoted-printable") => {
                (Encoding::QuotedPrintable, decode_qp_to_end)
            }
            _ => (Encoding::None, MessageStream::mime_part),
        };
    let (offset_end, bytes) = decode(&mut stream, b"");
    // A transfer-encoding problem, or more input after the part, which
    // mail-parser would read as further parts.
    if offset_end == usize::MAX || stream.offset() < raw.len() {
        return None;
    }
    let label = content_type.and_then(|ct| ct.attribute("charset"));
    let decoder = label.and_then(|l| charset_decoder(l.as_bytes()));
    let decoder = decoder.filter(|_| !(bytes.is_ascii() && label.is_some_and(ascii_transparent)));
    let text: Cow<'x, str> = match (bytes, decoder) {
        (Cow::Owned(vec), Some(decoder)) => decoder(&vec).into(),
        (Cow::Owned(vec), None) => String::from_utf8(vec)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
            .into(),
        (Cow::Borrowed(bytes), Some(decoder)) => decoder(bytes).into(),
        // from_utf8_lossy, but checking with from_utf8 first, which is
        // much faster on ASCII.
        (Cow::Borrowed(bytes), None) => match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        },
    };
    let part = MessagePart {
        headers,
        is_encoding_problem: false,
        body: if html {
            PartType::Html(text)
        } else {
            PartType::Text(text)
        },
        encoding,
        offset_header: 0,
        offset_body: u32::try_from(offset_body).ok()?,
        offset_end: u32::try_from(raw.len()).ok()?,
    };
    Some(Message {
        html_body: Vec::new(),
        text_body: Vec::new(),
        attachments: Vec::new(),
        parts: vec![part],
        raw_message: raw.into(),
    })
}

/// mail-parser's `decode_quoted_printable_mime` for a part that runs to the
/// end of the input (`boundary` is empty), by [`transfer::qp_decode_mime`],
/// which gives the same bytes a run at a time: the same end offset, and
/// `usize::MAX` where mail-parser gives up.
fn decode_qp_to_end<'x>(stream: &mut MessageStream<'x>, boundary: &[u8]) -> (usize, Cow<'x, [u8]>) {
    if !boundary.is_empty() {
        return stream.decode_quoted_printable_mime(boundary);
    }
    let body = stream.bytes(stream.offset()..stream.len());
    match transfer::qp_decode_mime(body) {
        Some(bytes) => {
            stream.seek_end();
            (stream.offset(), bytes.into())
        }
        None => (usize::MAX, Cow::Borrowed(&[])),
    }
}

/// Charset labels for which every decoder mail-parser may pick leaves
/// ASCII bytes as they are: the single-byte ISO 8859 and Windows code pages
/// and ASCII (mail-parser reads these with tables whose lower half is
/// ASCII; a test checks each), and UTF-8 (which it reads as UTF-8).
fn ascii_transparent(label: &str) -> bool {
    let l = label.as_bytes();
    let starts = |p: &[u8]| l.len() >= p.len() && l[..p.len()].eq_ignore_ascii_case(p);
    starts(b"iso-8859-")
        || starts(b"windows-125")
        || ["us-ascii", "ascii", "utf-8", "utf8"]
            .iter()
            .any(|a| label.eq_ignore_ascii_case(a))
}

/// Skips the mbox `From ` line that procmail and mbox files put first.
pub fn skip_mbox_from_line(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ") {
        match memchr::memchr(b'\n', raw) {
            Some(i) => &raw[i + 1..],
            None => &[],
        }
    } else {
        raw
    }
}

/// Does the input start with a header field (`Name:` with a valid field name)?
pub fn starts_with_header(raw: &[u8]) -> bool {
    let name_len = raw
        .iter()
        .take_while(|&&b| b > b' ' && b < 127 && b != b':')
        .count();
    if name_len == 0 {
        return false;
    }
    let rest = &raw[name_len..];
    let blanks = rest
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    rest.get(blanks) == Some(&b':')
}

fn valid_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b > b' ' && b < 127 && b != b':')
}

fn header_name<'a>(name: &'a HeaderName<'_>) -> &'a str {
    match name {
        HeaderName::Other(s) => s.as_ref(),
        n => n.as_static_str(),
    }
}

/// [`header_name`] kept past the message: borrowed for the names
/// mail-parser knows, copied for the others.
fn owned_header_name(name: &HeaderName<'_>) -> Cow<'static, str> {
    match name {
        HeaderName::Other(s) => Cow::Owned(s.to_string()),
        n => Cow::Borrowed(n.as_static_str()),
    }
}

fn raw_header<'a>(
    part: &mail_parser::MessagePart<'_>,
    raw: &'a [u8],
    name: &str,
) -> Option<&'a [u8]> {
    part.headers
        .iter()
        .find(|h| header_name(&h.name).eq_ignore_ascii_case(name))
        .and_then(|h| raw.get(h.offset_start as usize..h.offset_end as usize))
}

fn walk(msg: &mail_parser::Message<'_>, depth: usize, mail: &mut Mail, limits: &Limits) {
    let raw: &[u8] = msg.raw_message.as_ref();
    for (idx, part) in msg.parts.iter().enumerate() {
        if mail.parts.len() >= limits.max_parts {
            return;
        }
        if idx == 0 {
            if depth == 0 {
                mail.headers.reserve(part.headers.len());
            }
            for h in &part.headers {
                let Some(value) = raw.get(h.offset_start as usize..h.offset_end as usize) else {
                    continue;
                };
                // A field is read as far as a text part is: a megabyte-long
                // Subject of kanji would otherwise cost seconds of
                // segmentation.
                let value = &value[..value.len().min(limits.max_part_bytes)];
                let name = header_name(&h.name);
                if !valid_field_name(name) {
                    continue;
                }
                if depth == 0 {
                    mail.headers.push(Field {
                        name: owned_header_name(&h.name),
                        value: rfc2047::decode_header_trimmed(value),
                    });
                } else if name.eq_ignore_ascii_case("subject") {
                    mail.bodies.push(Body {
                        kind: BodyKind::InnerSubject,
                        text: rfc2047::decode_header(value),
                        links: Vec::new(),
                    });
                }
            }
        }
        let ctype = raw_header(part, raw, "content-type");
        let mut info = PartInfo {
            mime_type: ctype.map(rfc2047::mime_type).unwrap_or_default(),
            charset: ctype
                .and_then(|c| rfc2047::header_param(c, "charset"))
                .map(|c| c.trim().to_ascii_lowercase())
                .filter(|c| !c.is_empty()),
            filename: raw_header(part, raw, "content-disposition")
                .and_then(|d| rfc2047::header_param(d, "filename"))
                .or_else(|| ctype.and_then(|c| rfc2047::header_param(c, "name")))
                .filter(|f| !f.trim().is_empty()),
            transfer_encoding: raw_header(part, raw, "content-transfer-encoding")
                .map(|v| String::from_utf8_lossy(v).trim().to_ascii_lowercase()),
            problem: None,
            depth,
        };
        let body_raw = raw
            .get(part.offset_body as usize..part.offset_end as usize)
            .unwrap_or_default();
        match &part.body {
            PartType::Multipart(_) => mail.parts.push(info),
            PartType::Message(inner) => {
                if info.mime_type.is_empty() {
                    info.mime_type = "message/rfc822".to_string();
                }
                mail.parts.push(info);
                if depth + 1 < limits.max_depth {
                    walk(inner, depth + 1, mail, limits);
                }
            }
            PartType::Text(_)
            | PartType::Html(_)
            | PartType::Binary(_)
            | PartType::InlineBinary(_) => {
                let textual = matches!(part.body, PartType::Text(_) | PartType::Html(_))
                    || info.mime_type.is_empty()
                    || info.mime_type.starts_with("text/")
                    || info.mime_type.starts_with("multipart/");
                let attachment = info.filename.is_some() && !info.mime_type.starts_with("text/");
                if textual && !attachment {
                    let parsed = match &part.body {
                        PartType::Text(t) | PartType::Html(t) if !part.is_encoding_problem => {
                            Some(t.as_ref())
                        }
                        _ => None,
                    };
                    // The declaration is ASCII, readable in any decoding.
                    if let Some(t) = parsed {
                        adopt_meta_charset(&mut info, t.as_bytes());
                    }
                    match parsed.filter(|t| trust_decoded(t, info.charset.as_deref())) {
                        Some(text) => push_text(truncate(text, limits.max_part_bytes), &info, mail),
                        None => read_text_part(body_raw, &mut info, mail, limits),
                    }
                }
                mail.parts.push(info);
            }
        }
    }
}

fn read_text_part(body_raw: &[u8], info: &mut PartInfo, mail: &mut Mail, limits: &Limits) {
    // Base64 needs 4/3 of the output, QP up to 3×; read a bounded prefix.
    let raw_cap = limits.max_part_bytes.saturating_mul(3).max(4096);
    let body_raw = &body_raw[..body_raw.len().min(raw_cap)];
    let cte = info.transfer_encoding.as_deref().unwrap_or("");
    let decoded: std::borrow::Cow<'_, [u8]> = match cte {
        "base64" => {
            let b = transfer::base64_decode(body_raw);
            if b.is_garbage() {
                info.problem = Some("bad-base64");
                return;
            }
            b.bytes.into()
        }
        "quoted-printable" => transfer::qp_decode(body_raw, false).into(),
        _ => body_raw.into(),
    };
    if looks_binary(&decoded) {
        info.problem = Some("binary-text");
        return;
    }
    adopt_meta_charset(info, &decoded);
    let text = decode_text(&decoded, info.charset.as_deref(), limits);
    push_text(&text, info, mail);
}

/// An HTML part whose header declares no charset takes the one its
/// `<meta>` declares (an undeclared guess reads short Cyrillic or Japanese
/// texts as the wrong script).
fn adopt_meta_charset(info: &mut PartInfo, text: &[u8]) {
    if info.charset.is_none() && info.mime_type == "text/html" {
        info.charset = html::meta_charset(text);
    }
}

/// Adds a decoded text part (HTML converted to text) to the bodies.
fn push_text(text: &str, info: &PartInfo, mail: &mut Mail) {
    if info.mime_type == "text/html" || (info.mime_type.is_empty() && sniff_html(text)) {
        let h = html::html_to_text(text);
        mail.bodies.push(Body {
            kind: BodyKind::Html,
            text: h.text,
            links: h.links,
        });
    } else {
        mail.bodies.push(Body {
            kind: BodyKind::Plain,
            text: text.to_string(),
            links: Vec::new(),
        });
    }
}

/// Can mail-parser's own decoding of a part be used as is? Only for the
/// charsets it handles exactly like we do (none, ASCII, UTF-8, Latin), when
/// nothing went wrong and the result is not Shift_JIS or ISO-2022-JP read
/// as Latin. Everything else is decoded again from the raw bytes.
fn trust_decoded(text: &str, label: Option<&str>) -> bool {
    let label_ok = label.is_none_or(|l| ascii_transparent(l.trim_matches('"')));
    if !label_ok || has_replacement_or_escape(text.as_bytes()) {
        return false;
    }
    if text.is_ascii() || label.is_some_and(|l| l.to_ascii_lowercase().contains("utf")) {
        return true;
    }
    // Runs of non-ASCII characters in "Latin" text are a mislabelled
    // double-byte charset. A character is non-ASCII when its first byte
    // is a UTF-8 lead byte (0xC0 and up), and the one before it was
    // non-ASCII when the byte before that lead byte is 0x80 or above.
    let (mut wide, mut paired, mut prev_high) = (0usize, 0usize, false);
    for &b in text.as_bytes() {
        if b >= 0xc0 {
            wide += 1;
            paired += usize::from(prev_high);
        }
        prev_high = b >= 0x80;
    }
    !(wide >= 4 && paired * 3 >= wide)
}

/// Does UTF-8 text contain U+FFFD (a decoding error) or ESC (ISO-2022-JP)?
/// A byte scan: ESC is the byte 0x1B, U+FFFD the bytes EF BF BD.
fn has_replacement_or_escape(bytes: &[u8]) -> bool {
    memchr::memchr2_iter(0x1b, 0xef, bytes)
        .any(|i| bytes[i] == 0x1b || bytes[i..].starts_with("\u{fffd}".as_bytes()))
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Charset-decodes at most `max_part_bytes` of text, cut at a character
/// boundary.
fn decode_text(bytes: &[u8], charset_label: Option<&str>, limits: &Limits) -> String {
    let cap = limits.max_part_bytes;
    let bytes = if bytes.len() > cap * 2 {
        &bytes[..cap * 2]
    } else {
        bytes
    };
    let mut text = charset::decode(bytes, charset_label).text.into_owned();
    if text.len() > cap {
        let mut end = cap;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// Binary data sent as "text": many NULs or control characters.
fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(4096)];
    if sample.len() < 64 {
        return false;
    }
    let control = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    control * 10 > sample.len()
}

fn sniff_html(text: &str) -> bool {
    let head = text
        .get(..text.len().min(512))
        .unwrap_or("")
        .to_ascii_lowercase();
    head.contains("<html") || head.contains("<body") || head.contains("<!doctype html")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(raw: &str) -> Mail {
        parse(raw.as_bytes(), &Limits::default())
    }

    #[test]
    fn empty_and_headerless_input() {
        let m = p("");
        assert!(m.headerless && m.bodies.is_empty());
        let m = p("just some text\nno headers here\n");
        assert!(m.headerless);
        assert_eq!(m.bodies[0].text, "just some text\nno headers here\n");
    }

    #[test]
    fn simple_message() {
        let m = p("From: a@example.com\r\nSubject: =?UTF-8?B?54Sh5paZ?=\r\n\r\nhello body\r\n");
        assert_eq!(m.header("subject"), Some("無料"));
        assert_eq!(m.header("FROM"), Some("a@example.com"));
        assert_eq!(m.bodies.len(), 1);
        assert!(m.bodies[0].text.contains("hello body"));
    }

    #[test]
    fn garbage_base64_is_dropped() {
        let m = p(
            "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n\
                   This is certainly not base64!!! (really) -- it's plain text; with lots of punctuation???\n",
        );
        assert!(m.bodies.is_empty(), "{m:?}");
        assert_eq!(m.parts[0].problem, Some("bad-base64"));
    }

    #[test]
    fn multipart_without_boundary_is_still_read() {
        let m = p("Content-Type: multipart/mixed\n\nvisible words here\n");
        assert!(
            m.bodies.iter().any(|b| b.text.contains("visible words")),
            "{m:?}"
        );
    }

    #[test]
    fn unused_boundary_is_still_read() {
        let m = p("Content-Type: multipart/alternative; boundary=\"zzz\"\n\nplain words only\n");
        assert!(
            m.bodies.iter().any(|b| b.text.contains("plain words")),
            "{m:?}"
        );
    }

    #[test]
    fn nesting_is_bounded_before_parsing() {
        let mut deep = Vec::new();
        for i in 0..300 {
            deep.extend_from_slice(
                format!("From: l{i}@example.com\nContent-Type: Message/RFC822\n\n").as_bytes(),
            );
        }
        let cut = bound_nesting(&deep);
        assert_eq!(
            memchr::memmem::find_iter(&cut.to_ascii_lowercase(), b"message/").count(),
            MAX_STRUCTURE_TYPES
        );
        assert!(cut.ends_with(b"Content-Type: "));
        let plain = b"Content-Type: text/plain\n\nhttp://example.com/a/b/c\n";
        assert_eq!(bound_nesting(plain), plain);
        let m = parse(&deep, &Limits::default());
        assert_eq!(m.header("from"), Some("l0@example.com"));
    }

    /// The decoders mail-parser picks for the labels `ascii_transparent`
    /// accepts leave ASCII as it is. Its table of labels (map.rs) has these
    /// with the prefixes `iso_8859_` and `windows_125` ('-' is read as '_').
    #[test]
    fn ascii_transparent_labels_keep_ascii() {
        let ascii: Vec<u8> = (0..128).collect();
        let mut labels: Vec<String> = ["us-ascii", "ascii", "utf-8", "utf8", "US-ASCII", "UTF-8"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for n in 1..=16 {
            for suffix in [
                "", "-e", "-i", ":1987", ":1988", ":1989", ":1992", ":1998", ":2001",
            ] {
                labels.push(format!("iso-8859-{n}{suffix}"));
                labels.push(format!("ISO-8859-{n}{suffix}"));
            }
        }
        for n in 0..=9 {
            labels.push(format!("windows-125{n}"));
            labels.push(format!("Windows-125{n}"));
        }
        let mut known = 0;
        for l in &labels {
            assert!(ascii_transparent(l), "{l}");
            if let Some(decode) = charset_decoder(l.as_bytes()) {
                known += 1;
                assert_eq!(decode(&ascii).as_bytes(), &ascii[..], "{l}");
            }
        }
        assert!(known >= 40, "{known}");
        assert!(!ascii_transparent("utf-7") && !ascii_transparent("iso-2022-jp"));
    }

    /// The single-part path gives what mail-parser's own parse gives.
    #[test]
    fn single_text_part_is_what_mail_parser_gives() {
        let parser = &*PARSER;
        let mut none = Vec::new();
        for raw in [
            &b"Subject: x\n\nplain ascii body\n"[..],
            b"Content-Type: text/plain; charset=us-ascii\n\nascii\r\n",
            b"Content-Type: text/plain; charset=iso-8859-1\n\ncaf\xe9\n",
            b"Content-Type: TEXT/HTML; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\n<p>caf=E9 =\n</p>\n",
            b"Content-Type: text/plain; charset=utf-7\n\nHi Mom -+Jjo--!\n",
            b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n54Sh5paZ\n",
            b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!not base64 at all???\n",
            b"Subject: no body\n",
        ] {
            let theirs = parser.parse(raw).expect("parsed");
            let Some(ours) = single_text_part(parser, raw) else {
                // Left to mail-parser: a transfer-encoding problem, and
                // input that ends inside the header block.
                none.push(raw);
                continue;
            };
            assert_eq!(ours.parts.len(), theirs.parts.len());
            let (a, b) = (&ours.parts[0], &theirs.parts[0]);
            assert_eq!(a.body, b.body, "{}", String::from_utf8_lossy(raw));
            assert_eq!(
                (a.offset_body, a.offset_end, a.is_encoding_problem, a.encoding),
                (b.offset_body, b.offset_end, b.is_encoding_problem, b.encoding)
            );
            assert_eq!(a.headers, b.headers);
        }
        assert_eq!(
            none,
            [
                &b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!not base64 at all???\n"[..],
                b"Subject: no body\n"
            ]
        );
        for raw in [
            &b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n"[..],
            b"Content-Type: message/rfc822\n\nSubject: inner\n\nx\n",
            b"Content-Type: image/gif\n\nGIF89a\n",
        ] {
            assert!(single_text_part(parser, raw).is_none());
        }
    }

    #[test]
    fn attachment_metadata() {
        let m = p(
            "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n\
                   --b\nContent-Type: application/octet-stream; name=\"x.exe\"\nContent-Transfer-Encoding: base64\n\
                   Content-Disposition: attachment; filename=\"x.exe\"\n\nTVqQAAMAAAAEAAAA\n--b--\n",
        );
        let att = m
            .parts
            .iter()
            .find(|p| p.filename.is_some())
            .expect("attachment");
        assert_eq!(att.filename.as_deref(), Some("x.exe"));
        assert_eq!(att.mime_type, "application/octet-stream");
        assert_eq!(m.bodies.len(), 1);
    }
}
