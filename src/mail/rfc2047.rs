//! Header field values: unfolding, RFC 2047 encoded words, RFC 2231
//! parameters, and raw 8-bit text.
//!
//! Adjacent encoded words in the same charset are joined *as bytes* before
//! they are decoded, so a multibyte character split across two words (which
//! many Japanese mailers produce) comes out whole.

use super::charset;
use super::transfer::{base64_decode, qp_decode};

enum Piece<'a> {
    Raw(&'a [u8]),
    Encoded { charset: &'a str, bytes: Vec<u8> },
}

/// Decodes a raw header value (folded, possibly with encoded words or raw
/// 8-bit bytes) into one line of text.
pub fn decode_header(raw: &[u8]) -> String {
    match unfold_plain(raw) {
        Some(text) => text,
        None => decode_words(raw),
    }
}

/// [`decode_header`] with leading and trailing whitespace removed, as a
/// header field's value is kept. A plain ASCII value is trimmed before it
/// is unfolded, which gives the same text without moving it afterwards.
pub fn decode_header_trimmed(raw: &[u8]) -> String {
    // The ASCII characters that `char::is_whitespace` (and so `str::trim`)
    // matches; a test checks the set.
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let start = raw.iter().position(|b| !ws(b)).unwrap_or(raw.len());
    let end = raw.iter().rposition(|b| !ws(b)).map_or(start, |i| i + 1);
    // Unfolding maps each byte on its own and keeps every byte that is not
    // whitespace, so the unfolded trimmed value starts and ends with the
    // first and last such byte: it is the trimmed unfolded value.
    if let Some(text) = raw.get(start..end).and_then(unfold_plain) {
        return text;
    }
    let mut text = decode_words(raw);
    let end = text.trim_end().len();
    text.truncate(end);
    let start = text.len() - text.trim_start().len();
    text.drain(..start);
    text
}

/// The common case of a header value, plain ASCII without encoded words,
/// unfolded (line breaks dropped, tabs made spaces); `None` for any other
/// value.
fn unfold_plain(raw: &[u8]) -> Option<String> {
    // An encoded word starts with "=?"; most values have no '=' at all
    // (and memmem's searcher costs more to set up than they take to scan).
    if !raw.is_ascii() || memchr::memchr_iter(b'=', raw).any(|i| raw.get(i + 1) == Some(&b'?')) {
        return None;
    }
    let mut rest = std::str::from_utf8(raw).ok()?;
    let mut out = String::with_capacity(raw.len());
    while let Some(i) = memchr::memchr3(b'\r', b'\n', b'\t', rest.as_bytes()) {
        out.push_str(&rest[..i]);
        if rest.as_bytes()[i] == b'\t' {
            out.push(' ');
        }
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// [`decode_header`] for values with encoded words or 8-bit bytes.
fn decode_words(raw: &[u8]) -> String {
    let pieces = split_encoded_words(raw);
    let mut out = String::with_capacity(raw.len());
    let mut pending: Option<(&str, Vec<u8>)> = None;
    let mut raw_run: Vec<u8> = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Raw(bytes) => {
                let blank = bytes.iter().all(|b| b.is_ascii_whitespace());
                if blank && pending.is_some() {
                    // Whitespace between encoded words is not part of the text;
                    // keep it in case the next piece is not an encoded word.
                    raw_run.extend_from_slice(bytes);
                    continue;
                }
                if let Some((cs, bytes)) = pending.take() {
                    push_encoded(&mut out, cs, &bytes);
                }
                raw_run.extend_from_slice(bytes);
                push_raw(&mut out, &raw_run);
                raw_run.clear();
            }
            Piece::Encoded { charset, bytes } => {
                match pending.as_mut() {
                    Some((cs, buf)) if cs.eq_ignore_ascii_case(charset) => {
                        join_encoded(buf, &bytes);
                    }
                    _ => {
                        if let Some((cs, bytes)) = pending.take() {
                            push_encoded(&mut out, cs, &bytes);
                        }
                        pending = Some((charset, bytes));
                    }
                }
                raw_run.clear();
            }
        }
    }
    if let Some((cs, bytes)) = pending.take() {
        push_encoded(&mut out, cs, &bytes);
    }
    push_raw(&mut out, &raw_run);
    out
}

/// Appends the bytes of a following encoded word. For ISO-2022-JP, a switch
/// back to ASCII directly followed by another escape is dropped: WHATWG's
/// decoder reports two escapes in a row as an error.
fn join_encoded(buf: &mut Vec<u8>, next: &[u8]) {
    if buf.ends_with(b"\x1b(B") && next.first() == Some(&0x1b) {
        buf.truncate(buf.len() - 3);
    }
    buf.extend_from_slice(next);
}

fn push_encoded(out: &mut String, label: &str, bytes: &[u8]) {
    // RFC 2231 language suffix: "utf-8*ja".
    let label = label.split('*').next().unwrap_or(label);
    let decoded = charset::decode(bytes, Some(label));
    out.push_str(&decoded.text);
}

fn push_raw(out: &mut String, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let decoded = charset::decode(bytes, None);
    for c in decoded.text.chars() {
        match c {
            '\r' | '\n' => {}
            '\t' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// Splits a raw value into literal runs and decoded encoded words.
fn split_encoded_words(raw: &[u8]) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while let Some(off) = memchr::memmem::find(&raw[i..], b"=?") {
        let at = i + off;
        match parse_encoded_word(&raw[at..]) {
            Some((len, charset, bytes)) => {
                if at > start {
                    pieces.push(Piece::Raw(&raw[start..at]));
                }
                pieces.push(Piece::Encoded { charset, bytes });
                i = at + len;
                start = i;
            }
            None => i = at + 2,
        }
    }
    if start < raw.len() {
        pieces.push(Piece::Raw(&raw[start..]));
    }
    pieces
}

/// Parses `=?charset?E?text?=` at the start of `s`; returns its length, the
/// charset label and the decoded bytes.
fn parse_encoded_word(s: &[u8]) -> Option<(usize, &str, Vec<u8>)> {
    let rest = s.get(2..)?;
    let q1 = rest.iter().take(64).position(|&b| b == b'?')?;
    let charset = std::str::from_utf8(&rest[..q1]).ok()?;
    if charset.is_empty() || charset.bytes().any(|b| b <= b' ' || b == b'=') {
        return None;
    }
    let enc = *rest.get(q1 + 1)?;
    if rest.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let body_start = q1 + 3;
    let body = rest.get(body_start..)?;
    let end = memchr::memmem::find(body, b"?=")?;
    let text = &body[..end];
    if text.iter().any(|&b| b == b'\n' || b == b'\r') {
        return None;
    }
    let bytes = match enc {
        b'B' | b'b' => base64_decode(text).bytes,
        b'Q' | b'q' => qp_decode(text, true),
        _ => return None,
    };
    Some((2 + body_start + end + 2, charset, bytes))
}

/// A MIME parameter (`name`, `filename`, `charset`, `boundary` …) from a raw
/// Content-Type or Content-Disposition value, with RFC 2231 continuations and
/// charsets, and RFC 2047 words inside quoted values, decoded.
pub fn header_param(raw: &[u8], wanted: &str) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let mut plain: Option<String> = None;
    let mut extended: Vec<(u32, bool, String)> = Vec::new();
    for (key, value) in split_params(&text) {
        let key = key.to_ascii_lowercase();
        if key == wanted {
            plain = Some(value);
        } else if let Some(rest) = key.strip_prefix(wanted)
            && let Some(rest) = rest.strip_prefix('*')
        {
            // name*=…, name*0=…, name*0*=…
            let encoded = rest.ends_with('*') || rest.is_empty();
            let idx = rest.trim_end_matches('*').parse::<u32>().unwrap_or(0);
            extended.push((idx, encoded, value));
        }
    }
    if !extended.is_empty() {
        extended.sort_by_key(|e| e.0);
        let mut bytes = Vec::new();
        let mut label: Option<String> = None;
        for (i, (_, encoded, value)) in extended.iter().enumerate() {
            let mut v = value.as_str();
            if *encoded && i == 0 {
                // charset'language'value
                let mut parts = v.splitn(3, '\'');
                if let (Some(cs), Some(_lang), Some(val)) =
                    (parts.next(), parts.next(), parts.next())
                {
                    label = Some(cs.to_string());
                    v = val;
                }
            }
            if *encoded {
                bytes.extend(super::transfer::percent_decode(v.as_bytes()));
            } else {
                bytes.extend_from_slice(v.as_bytes());
            }
        }
        return Some(charset::decode(&bytes, label.as_deref()).text.into_owned());
    }
    plain.map(|v| decode_header(v.as_bytes()))
}

/// Splits `type/sub; a=1; b="x; y"` into its parameters (the first element,
/// the type itself, is skipped).
fn split_params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    // Skip the value before the first ';'.
    for (_, c) in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        let mut key = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c == '=' || c == ';' {
                break;
            }
            if !c.is_whitespace() {
                key.push(c);
            }
            chars.next();
        }
        match chars.next() {
            None => break,
            Some((_, ';')) => continue,
            _ => {}
        }
        while matches!(chars.peek(), Some((_, c)) if c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if matches!(chars.peek(), Some((_, '"'))) {
            chars.next();
            while let Some((_, c)) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            value.push(n);
                        }
                    }
                    c => value.push(c),
                }
            }
            for (_, c) in chars.by_ref() {
                if c == ';' {
                    break;
                }
            }
        } else {
            for (_, c) in chars.by_ref() {
                if c == ';' {
                    break;
                }
                value.push(c);
            }
            let trimmed = value.trim_end().len();
            value.truncate(trimmed);
        }
        if !key.is_empty() {
            out.push((key, value));
        }
    }
    out
}

/// The `type/subtype` of a raw Content-Type value, lower-cased.
pub fn mime_type(raw: &[u8]) -> String {
    // The usual ASCII type, byte-wise: ';' is never part of a multibyte
    // character or of what lossy decoding replaces, and on ASCII,
    // `char::is_whitespace` is the six bytes below and lower-casing is
    // ASCII lower-casing.
    let head = &raw[..memchr::memchr(b';', raw).unwrap_or(raw.len())];
    if head.is_ascii() {
        let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
        return head
            .iter()
            .filter(|&&b| !ws(b) && b != b'"')
            .take(64)
            .map(|&b| char::from(b.to_ascii_lowercase()))
            .collect();
    }
    let text = String::from_utf8_lossy(raw);
    let t = text.split(';').next().unwrap_or("").trim();
    t.chars()
        .filter(|c| !c.is_whitespace() && *c != '"')
        .take(64)
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{ISO_2022_JP, SHIFT_JIS};

    fn b64(bytes: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.len();
            let v = (chunk[0] as u32) << 16
                | (*chunk.get(1).unwrap_or(&0) as u32) << 8
                | *chunk.get(2).unwrap_or(&0) as u32;
            for i in 0..4 {
                if i <= n {
                    s.push(A[(v >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    s.push('=');
                }
            }
        }
        s
    }

    #[test]
    fn utf8_b_and_q() {
        assert_eq!(decode_header(b"=?UTF-8?B?54Sh5paZ?="), "無料");
        assert_eq!(
            decode_header(b"=?utf-8?q?caf=C3=A9_au_lait?="),
            "café au lait"
        );
    }

    #[test]
    fn adjacent_words_lose_the_space_between() {
        assert_eq!(decode_header(b"=?utf-8?q?a?= =?utf-8?q?b?="), "ab");
        assert_eq!(decode_header(b"=?utf-8?q?a?= b"), "a b");
    }

    #[test]
    fn split_multibyte_character_across_words() {
        let (sjis, _, _) = SHIFT_JIS.encode("無料登録");
        let (a, b) = sjis.split_at(3); // splits the second character
        let raw = format!("=?Shift_JIS?B?{}?=\r\n =?Shift_JIS?B?{}?=", b64(a), b64(b));
        assert_eq!(decode_header(raw.as_bytes()), "無料登録");
    }

    #[test]
    fn iso2022jp_words_each_complete() {
        let (w1, _, _) = ISO_2022_JP.encode("登録して");
        let (w2, _, _) = ISO_2022_JP.encode("限定");
        let raw = format!(
            "=?ISO-2022-JP?B?{}?= =?ISO-2022-JP?B?{}?=",
            b64(&w1),
            b64(&w2)
        );
        assert_eq!(decode_header(raw.as_bytes()), "登録して限定");
    }

    #[test]
    fn mixed_charsets_and_cp932() {
        let (sjis, _, _) = SHIFT_JIS.encode("①㈱");
        let raw = format!("=?UTF-8?B?54Sh5paZ?= x =?cp932?B?{}?=", b64(&sjis));
        assert_eq!(decode_header(raw.as_bytes()), "無料 x ①㈱");
    }

    #[test]
    fn quoted_display_name_and_raw_8bit() {
        assert_eq!(
            decode_header(b"\"=?UTF-8?B?54Sh5paZ?=\" <a@example.jp>"),
            "\"無料\" <a@example.jp>"
        );
        let (sjis, _, _) = SHIFT_JIS.encode("未公開株のご案内です");
        assert_eq!(decode_header(&sjis), "未公開株のご案内です");
    }

    #[test]
    fn broken_words_stay_verbatim() {
        assert_eq!(
            decode_header(b"=?utf-8?x?abc?= =?broken"),
            "=?utf-8?x?abc?= =?broken"
        );
        assert_eq!(decode_header(b"foo\r\n\tbar"), "foo bar");
    }

    /// The trimmed decoding is the decoding trimmed, and the bytes it trims
    /// first are the ASCII characters `str::trim` removes.
    #[test]
    fn trimmed_is_decoded_then_trimmed() {
        for b in 0..128u8 {
            let ws = matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
            assert_eq!(ws, (b as char).is_whitespace(), "byte {b:#04x}");
        }
        for raw in [
            &b""[..],
            b" ",
            b" \t\r\n",
            b" plain value\r\n",
            b"\x0b\x0cx\x0b",
            b"\tfolded\r\n\tvalue \r\n",
            b"a=b =x= ",
            b" =?utf-8?q?caf=C3=A9?= \r\n",
            b" =?utf-8?q?_a_?= ",
            b" \xe7\x84\xa1\xe6\x96\x99 \r\n",
            b"\xa0x\xa0",
            b" =?broken",
        ] {
            assert_eq!(
                decode_header_trimmed(raw),
                decode_header(raw).trim(),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn params_with_rfc2231_and_2047() {
        let raw = b"attachment; filename*=UTF-8''%E7%84%A1%E6%96%99.exe";
        assert_eq!(header_param(raw, "filename").as_deref(), Some("無料.exe"));
        let raw = b"application/octet-stream; name=\"=?UTF-8?B?54Sh5paZ?=.zip\"";
        assert_eq!(header_param(raw, "name").as_deref(), Some("無料.zip"));
        let raw = b"attachment; filename*0*=utf-8''%E7%84; filename*1*=%A1.scr";
        assert_eq!(header_param(raw, "filename").as_deref(), Some("無.scr"));
        assert_eq!(
            header_param(b"text/plain; charset=\"ISO-2022-JP\"", "charset").as_deref(),
            Some("ISO-2022-JP")
        );
        assert_eq!(mime_type(b" Text/HTML ; charset=x"), "text/html");
        assert_eq!(mime_type(b"\"TEXT\" / Plain\r\n\t"), "text/plain");
        assert_eq!(mime_type("Téxt/HTML; x".as_bytes()), "téxt/html");
        assert_eq!(mime_type(b"text/\xff; charset=x"), "text/\u{fffd}");
        assert_eq!(mime_type(&[b'a'; 100]).len(), 64);
    }
}
