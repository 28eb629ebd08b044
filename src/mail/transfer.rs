//! Content-Transfer-Encoding decoders (base64, quoted-printable), written to be
//! tolerant of what real mail contains and to report garbage instead of
//! passing it on as text.

const INVALID: u8 = 0xff;

const fn base64_table() -> [u8; 256] {
    let mut t = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    // URL-safe variants appear in some broken mailers.
    t[b'-' as usize] = 62;
    t[b'_' as usize] = 63;
    t
}

static BASE64: [u8; 256] = base64_table();

/// Result of a lenient base64 decode.
#[derive(Debug, Default)]
pub struct Base64 {
    pub bytes: Vec<u8>,
    /// Characters that are neither base64, padding nor whitespace.
    pub invalid: usize,
    /// Characters that were base64 data.
    pub valid: usize,
    /// Blanks inside lines (base64 has none; text sent as "base64" does).
    pub inner_blanks: usize,
}

impl Base64 {
    /// Garbage: too much of the input was not base64 to trust the output.
    pub fn is_garbage(&self) -> bool {
        let bad = self.invalid + self.inner_blanks;
        bad >= 4 && bad * 20 > self.valid
    }
}

/// Decodes base64, skipping whitespace, stopping quads at padding, and
/// counting characters outside the alphabet (which are skipped).
pub fn base64_decode(input: &[u8]) -> Base64 {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut n = 0u8;
    let mut invalid = 0usize;
    let mut valid = 0usize;
    let mut inner_blanks = 0usize;
    let mut prev = b'\n';
    for (i, &c) in input.iter().enumerate() {
        if (c == b' ' || c == b'\t')
            && prev != b'\n'
            && !matches!(
                input.get(i + 1),
                None | Some(b'\r') | Some(b'\n') | Some(b' ') | Some(b'\t')
            )
        {
            inner_blanks += 1;
        }
        prev = c;
        let v = BASE64[c as usize];
        if v == INVALID {
            match c {
                b'\r' | b'\n' | b' ' | b'\t' => {}
                b'=' => {
                    // Padding: flush what the quad holds and restart.
                    flush(&mut out, acc, n);
                    acc = 0;
                    n = 0;
                }
                _ => invalid += 1,
            }
            continue;
        }
        valid += 1;
        acc = (acc << 6) | v as u32;
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    flush(&mut out, acc, n);
    Base64 {
        bytes: out,
        invalid,
        valid,
        inner_blanks,
    }
}

fn flush(out: &mut Vec<u8>, acc: u32, n: u8) {
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => {
            let acc = acc >> 2;
            out.extend_from_slice(&[(acc >> 8) as u8, acc as u8]);
        }
        _ => {}
    }
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes (RFC 3986 URLs, RFC 2231 parameters); a `%` that
/// does not start one is kept as is.
pub fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%'
            && let (Some(h), Some(l)) = (
                s.get(i + 1).and_then(|&c| hex(c)),
                s.get(i + 2).and_then(|&c| hex(c)),
            )
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// Decodes quoted-printable. Soft line breaks are removed; an `=` that does not
/// start a valid escape is kept as is.
pub fn qp_decode(input: &[u8], underscore_is_space: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let c = input[i];
        if c == b'=' {
            match (input.get(i + 1).copied(), input.get(i + 2).copied()) {
                (Some(b'\n'), _) => {
                    i += 2;
                    continue;
                }
                (Some(b'\r'), Some(b'\n')) => {
                    i += 3;
                    continue;
                }
                (Some(h), Some(l)) => {
                    if let (Some(h), Some(l)) = (hex(h), hex(l)) {
                        out.push(h << 4 | l);
                        i += 3;
                        continue;
                    }
                    // "=  \r\n": soft break with trailing blanks.
                    let rest = &input[i + 1..];
                    let blanks = rest
                        .iter()
                        .take_while(|&&b| b == b' ' || b == b'\t')
                        .count();
                    match rest.get(blanks) {
                        Some(b'\n') => {
                            i += 2 + blanks;
                            continue;
                        }
                        Some(b'\r') if rest.get(blanks + 1) == Some(&b'\n') => {
                            i += 3 + blanks;
                            continue;
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
            out.push(c);
        } else if c == b'_' && underscore_is_space {
            out.push(b' ');
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// Quoted-printable as mail-parser reads the body of a message's last part
/// (its `decode_quoted_printable_mime` without a boundary), so that
/// `single_text_part` gives what mail-parser gives: `None` where it fails
/// (an `=` inside an escape), otherwise the same bytes. Plain runs are
/// copied whole instead of a byte at a time.
///
/// mail-parser's reading: a line break ends with LF; CR is dropped, and once
/// one was seen every later line break is written CRLF. Blanks (space, tab,
/// form feed) copied as they are and ending a line are dropped with the
/// break; `=` then a line break is a soft break; `=` followed by blanks
/// skips them; `=` followed by anything else that is not hex is kept as
/// written, and so is an escape whose second character is not hex (with
/// the byte before that character, which is the first hex digit unless a
/// CR came between). An escape cut by the end of the input is dropped.
pub(crate) fn qp_decode_mime(input: &[u8]) -> Option<Vec<u8>> {
    let blank = |b: u8| matches!(b, b' ' | b'\t' | 0x0c);
    let mut out = Vec::with_capacity(input.len());
    // CRLF line breaks; blanks at the end of `out` that a break drops.
    let (mut crlf, mut blanks) = (false, 0usize);
    let mut i = 0;
    while i < input.len() {
        let rest = &input[i..];
        let run = memchr::memchr3(b'=', b'\n', b'\r', rest).unwrap_or(rest.len());
        let plain = &rest[..run];
        if !plain.is_empty() {
            out.extend_from_slice(plain);
            let trailing = plain.iter().rev().take_while(|&&b| blank(b)).count();
            blanks = if trailing == plain.len() {
                blanks + trailing
            } else {
                trailing
            };
        }
        i += run;
        match input.get(i) {
            None => break,
            Some(b'\n') => {
                out.truncate(out.len().saturating_sub(blanks));
                out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                blanks = 0;
                i += 1;
            }
            Some(b'\r') => {
                crlf = true;
                i += 1;
            }
            Some(_) => i = qp_escape(input, i + 1, &mut out, &mut crlf, &mut blanks)?,
        }
    }
    Some(out)
}

/// The escape of [`qp_decode_mime`] whose `=` is just before `input[i]`:
/// where plain text goes on, or `None` when mail-parser gives up.
fn qp_escape(
    input: &[u8],
    mut i: usize,
    out: &mut Vec<u8>,
    crlf: &mut bool,
    blanks: &mut usize,
) -> Option<usize> {
    // The first hex digit once read; the byte before the current one.
    let mut first: Option<u8> = None;
    let mut last = b'=';
    while let Some(&c) = input.get(i) {
        i += 1;
        match c {
            b'=' => return None,
            b'\n' => {
                if first.is_none() {
                    // A soft line break.
                    *blanks = 0;
                    return Some(i);
                }
                // A break between the two digits is written, and the
                // escape goes on.
                out.truncate(out.len().saturating_sub(*blanks));
                out.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
                *blanks = 0;
            }
            b'\r' => *crlf = true,
            _ => match first {
                None => match hex(c) {
                    Some(h) => first = Some(h),
                    None if matches!(c, b' ' | b'\t' | 0x0c) => {}
                    None => {
                        out.extend_from_slice(&[b'=', c]);
                        *blanks = 0;
                        return Some(i);
                    }
                },
                Some(h) => {
                    match hex(c) {
                        Some(l) => out.push(h << 4 | l),
                        None => out.extend_from_slice(&[b'=', last, c]),
                    }
                    *blanks = 0;
                    return Some(i);
                }
            },
        }
        last = c;
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_basic_and_folded() {
        assert_eq!(base64_decode(b"aGVsbG8gd29y\r\nbGQ=").bytes, b"hello world");
        assert_eq!(base64_decode(b"aGVsbG8").bytes, b"hello");
        assert!(!base64_decode(b"aGVsbG8gd29ybGQ=").is_garbage());
    }

    #[test]
    fn base64_garbage_is_detected() {
        let text = b"This is not base64 at all! It is plain text, with (punctuation)... \
                     and more, and more; much more: really!!! ???";
        assert!(base64_decode(text).is_garbage());
    }

    #[test]
    fn qp_soft_breaks_and_escapes() {
        assert_eq!(
            qp_decode(b"caf=E9 =\r\nna=EFve=\nx", false),
            b"caf\xe9 na\xefvex"
        );
        assert_eq!(qp_decode(b"a=ZZb", false), b"a=ZZb");
        assert_eq!(qp_decode(b"a_b", true), b"a b");
        assert_eq!(qp_decode(b"end=  \r\nnext", false), b"endnext");
    }

    /// `qp_decode_mime` gives what mail-parser's decoder gives for the
    /// last part of a message, on every string of a small alphabet that
    /// has all its cases.
    #[test]
    fn qp_mime_is_mail_parsers() {
        use mail_parser::parsers::MessageStream;
        let theirs = |s: &[u8]| {
            let mut stream = MessageStream::new(s);
            let (end, bytes) = stream.decode_quoted_printable_mime(b"");
            (end != usize::MAX).then(|| bytes.into_owned())
        };
        let alphabet = b"=\r\n \t\x0caF9gZ\xe9-";
        for s in crate::testing::random_strings(alphabet, 0x853c49e6748fea9b, 300_000, 14) {
            assert_eq!(
                qp_decode_mime(&s),
                theirs(&s),
                "{:?}",
                String::from_utf8_lossy(&s)
            );
        }
        for s in [
            &b"caf=E9 =\r\nna=EFve=\nx  \r\ny\t\n"[..],
            b"a =\t4\nb",
            b"=4\r\n1",
            b"=4\rZ",
            b"soft=  \nbreak",
            b"bad=ZZ",
            b"==",
            b"end=",
            b"end=4",
        ] {
            assert_eq!(
                qp_decode_mime(s),
                theirs(s),
                "{:?}",
                String::from_utf8_lossy(s)
            );
        }
    }
}
