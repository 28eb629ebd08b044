//! Free text → word tokens: NFKC normalisation, URL and address extraction,
//! UAX#29 words for alphabetic scripts, segmentation for CJK runs.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};
use unicode_segmentation::UnicodeSegmentation;

use super::japanese::{self, Script};
use super::{Category, MAX_WORD_CHARS, Options, Sink, url};

/// Longest Japanese word kept as is.
const MAX_CJK_CHARS: usize = 16;

/// What the tokenizer functions share while walking one message.
pub(crate) struct Ctx<'a, 's> {
    pub opts: &'a Options,
    pub segmenter: &'a japanese::Segmenter,
    /// The message contains kana: Han runs are Japanese, not Chinese.
    pub japanese: bool,
    pub sink: Sink<'s>,
}

/// NFKC, skipped for the common case of text that is already normal.
pub(crate) fn normalize(text: &str) -> Cow<'_, str> {
    if text.is_ascii() || is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfkc().collect())
    }
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || c == '\0' || c == '\u{fffd}' || c == '<' || c == '>' || c == '"'
}

// Byte classes, one bit each, so that a chunk's classes can be or-ed.
const SEPARATOR: u8 = 1;
const NON_ASCII: u8 = 2;
/// ASCII letters and digits.
const ALNUM: u8 = 4;
/// `_`, which joins letters and digits into a word.
const UNDERSCORE: u8 = 8;
/// The other ASCII bytes (punctuation, control characters).
const OTHER: u8 = 16;
/// Set besides [`ALNUM`] for the upper-case letters.
const UPPER: u8 = 32;
/// The bytes of a word in [`ascii_words`].
const WORD: u8 = ALNUM | UNDERSCORE;

/// What each byte is to [`tokenize_text`] and [`ascii_words`], as a table
/// (they run over every byte of every text): ASCII whitespace, NUL, `<`,
/// `>` and `"` separate chunks; bytes from 0x80 are parts of non-ASCII
/// characters; letters, digits and `_` make words.
static BYTE_CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let seps = b" \t\n\r\x0b\x0c\0<>\"";
    let mut i = 0;
    while i < seps.len() {
        t[seps[i] as usize] = SEPARATOR;
        i += 1;
    }
    let mut b = 0x80;
    while b < 256 {
        t[b] = NON_ASCII;
        b += 1;
    }
    let mut b = 0u8;
    while b < 0x80 {
        if b.is_ascii_uppercase() {
            t[b as usize] = ALNUM | UPPER;
        } else if b.is_ascii_alphanumeric() {
            t[b as usize] = ALNUM;
        }
        b += 1;
    }
    t[b'_' as usize] = UNDERSCORE;
    t
};

/// Tokenizes a piece of free text (a body, a Subject, a display name).
pub(crate) fn tokenize_text(text: &str, cat: Category, ctx: &mut Ctx<'_, '_>) {
    let mut prev = String::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    // The classes of the chunk's bytes, or-ed.
    let mut seen = 0;
    // Split at ASCII separators byte-wise, noting which classes of bytes
    // each chunk has; only chunks with non-ASCII characters are split
    // further (Unicode spaces) and normalised.
    for (i, &b) in bytes.iter().enumerate() {
        let class = BYTE_CLASS[b as usize];
        if class == SEPARATOR {
            if i > start {
                classified_chunk(&text[start..i], seen, cat, ctx, &mut prev);
            }
            start = i + 1;
            seen = 0;
        } else {
            seen |= class;
        }
    }
    if start < bytes.len() {
        classified_chunk(&text[start..], seen, cat, ctx, &mut prev);
    }
}

/// A chunk between ASCII separators whose bytes have the classes `seen`.
#[inline]
fn classified_chunk(
    piece: &str,
    seen: u8,
    cat: Category,
    ctx: &mut Ctx<'_, '_>,
    prev: &mut String,
) {
    if seen & !(WORD | UPPER) == 0 {
        // Letters, digits and `_` only (the common case): one word, which
        // is all `chunk` would find, if it has a letter or digit.
        if seen & ALNUM != 0 {
            emit_ascii_word_cased(piece, Some(seen & UPPER != 0), cat, ctx, prev);
        }
    } else {
        chunk(piece, seen & NON_ASCII == 0, cat, ctx, prev);
    }
}

/// A chunk between ASCII separators; `ascii` tells whether it is all ASCII.
fn chunk(piece: &str, ascii: bool, cat: Category, ctx: &mut Ctx<'_, '_>, prev: &mut String) {
    if ascii {
        chunk_tokens(piece, true, cat, ctx, prev);
        return;
    }
    let normal = normalize(piece);
    for sub in normal.split(is_separator) {
        if !sub.is_empty() {
            chunk_tokens(sub, false, cat, ctx, prev);
        }
    }
}

/// One whitespace-delimited chunk: URLs and addresses first, words around them.
/// `ascii`: the chunk is known to be all ASCII (so are its pieces), and
/// goes straight to [`ascii_words`] without a second check.
fn chunk_tokens(chunk: &str, ascii: bool, cat: Category, ctx: &mut Ctx<'_, '_>, prev: &mut String) {
    // A URL has "://" or "www.", an address "@": most words have neither.
    // Fast path: most chunks are short words, for which a plain byte loop
    // beats memchr's setup.
    let bytes = chunk.as_bytes();
    let plain = if bytes.len() < 32 {
        !bytes.iter().any(|&b| matches!(b, b':' | b'@' | b'.'))
    } else {
        memchr::memchr3(b':', b'@', b'.', bytes).is_none()
    };
    let words_of = |piece: &str, ctx: &mut Ctx<'_, '_>, prev: &mut String| {
        if ascii {
            ascii_words(piece, &mut |w| emit_ascii_word(w, cat, ctx, prev));
        } else {
            words(piece, cat, ctx, prev);
        }
    };
    if plain {
        words_of(chunk, ctx, prev);
        return;
    }
    let mut rest = chunk;
    while !rest.is_empty() {
        let url = find_url(rest);
        let email = find_email(rest);
        let (start, end, is_url) = match (url, email) {
            (Some(u), Some(e)) if e.0 < u.0 => (e.0, e.1, false),
            (Some(u), _) => (u.0, u.1, true),
            (None, Some(e)) => (e.0, e.1, false),
            (None, None) => break,
        };
        words_of(&rest[..start], ctx, prev);
        if is_url {
            url::url_tokens(&rest[start..end], ctx);
        } else {
            url::email_tokens(&rest[start..end], Category::Email, ctx);
        }
        prev.clear();
        rest = &rest[end..];
    }
    words_of(rest, ctx, prev);
}

fn is_url_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
}

/// Trims punctuation that ends a sentence rather than the URL or address.
fn trim_trailing(s: &str, start: usize, mut end: usize) -> usize {
    let b = s.as_bytes();
    while end > start && b".,;:!?'\")]}".contains(&b[end - 1]) {
        end -= 1;
    }
    end
}

/// Finds a URL (`scheme://…` or `www.…`) in a chunk: its byte range.
pub(crate) fn find_url(s: &str) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    let mut best: Option<usize> = None;
    // The first "://" (memmem's searcher costs more to set up than a
    // chunk takes to scan).
    if let Some(p) = memchr::memchr_iter(b':', b).find(|&p| b[p..].starts_with(b"://")) {
        let mut st = p;
        while st > 0 && p - st < 10 && b[st - 1].is_ascii_alphabetic() {
            st -= 1;
        }
        let scheme = s[st..p].to_ascii_lowercase();
        if matches!(
            scheme.as_str(),
            "http" | "https" | "ftp" | "hxxp" | "hxxps" | "ttp" | "ttps"
        ) {
            best = Some(st);
        }
    }
    let lower_has_www = memchr::memchr2_iter(b'w', b'W', b)
        .find(|&p| {
            b.get(p..p + 4)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"www."))
        })
        .filter(|&p| p == 0 || !b[p - 1].is_ascii_alphanumeric() && b[p - 1] != b'/');
    if let Some(p) = lower_has_www
        && best.is_none_or(|b| p < b)
    {
        best = Some(p);
    }
    let start = best?;
    let mut end = start;
    while end < b.len() && is_url_byte(b[end]) {
        end += 1;
    }
    let end = trim_trailing(s, start, end);
    (end > start + 4).then_some((start, end))
}

fn is_local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._%+-=".contains(&b)
}

fn is_domain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

/// Finds an e-mail address in a chunk: its byte range.
pub(crate) fn find_email(s: &str) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    for at in memchr::memchr_iter(b'@', b) {
        let mut st = at;
        while st > 0 && is_local_byte(b[st - 1]) {
            st -= 1;
        }
        let mut end = at + 1;
        while end < b.len() && is_domain_byte(b[end]) {
            end += 1;
        }
        while end > at + 1 && (b[end - 1] == b'.' || b[end - 1] == b'-') {
            end -= 1;
        }
        let domain = &s[at + 1..end];
        let tld_ok = domain.rsplit_once('.').is_some_and(|(h, tld)| {
            !h.is_empty() && tld.len() >= 2 && tld.bytes().all(|c| c.is_ascii_alphabetic())
        });
        if st < at && tld_ok {
            return Some((st, end));
        }
    }
    None
}

/// Words of a chunk that holds no URL or address.
pub(crate) fn words(chunk: &str, cat: Category, ctx: &mut Ctx<'_, '_>, prev: &mut String) {
    if chunk.is_empty() {
        return;
    }
    if chunk.is_ascii() {
        ascii_words(chunk, &mut |w| emit_ascii_word(w, cat, ctx, prev));
        return;
    }
    let mut run_start = 0;
    let mut run_script: Option<Option<Script>> = None;
    for (i, c) in chunk.char_indices() {
        let s = japanese::script_of(c);
        match run_script {
            Some(prev_s) if prev_s == s => {}
            Some(prev_s) => {
                run(&chunk[run_start..i], prev_s, cat, ctx, prev);
                run_start = i;
                run_script = Some(s);
            }
            None => run_script = Some(s),
        }
    }
    if let Some(s) = run_script {
        run(&chunk[run_start..], s, cat, ctx, prev);
    }
}

fn run(
    text: &str,
    script: Option<Script>,
    cat: Category,
    ctx: &mut Ctx<'_, '_>,
    prev: &mut String,
) {
    match script {
        None if text.is_ascii() => ascii_words(text, &mut |w| emit_ascii_word(w, cat, ctx, prev)),
        None => {
            for w in text.unicode_words() {
                emit_word(w, cat, ctx, prev);
            }
        }
        Some(Script::Japanese) if ctx.japanese => {
            let seg = ctx.segmenter;
            seg.segment(text, &mut |w| emit_cjk(w, cat, ctx, prev));
        }
        Some(_) => japanese::bigrams(text, &mut |w| emit_cjk(w, cat, ctx, prev)),
    }
}

/// Splits ASCII text into words the way UAX#29 does (letters and digits
/// joined by `_`; `.`/`'`/`:` between letters and `.`/`,`/`;`/`'` between
/// digits stay inside a word), without decoding characters.
pub(crate) fn ascii_words(s: &str, f: &mut impl FnMut(&str)) {
    let b = s.as_bytes();
    let n = b.len();
    let word = |c: u8| BYTE_CLASS[c as usize] & WORD != 0;
    let mut i = 0;
    while i < n {
        if !word(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        loop {
            while i < n && word(b[i]) {
                i += 1;
            }
            if i + 1 < n && word(b[i + 1]) {
                let (p, m, x) = (b[i - 1], b[i], b[i + 1]);
                let letters = p.is_ascii_alphabetic()
                    && x.is_ascii_alphabetic()
                    && matches!(m, b':' | b'.' | b'\'');
                let digits = p.is_ascii_digit()
                    && x.is_ascii_digit()
                    && matches!(m, b',' | b';' | b'.' | b'\'');
                if letters || digits {
                    i += 2;
                    continue;
                }
            }
            break;
        }
        let w = &s[start..i];
        if w.bytes().any(|c| c.is_ascii_alphanumeric()) {
            f(w);
        }
    }
}

/// Whether a word of `n` characters is emitted as a word: one character is
/// too short to say anything, and an overlong run becomes a `skip` token
/// instead (which ends the current word pair).
#[inline]
fn word_fits(w: &str, n: usize, cat: Category, ctx: &mut Ctx<'_, '_>, prev: &mut String) -> bool {
    if n < 2 {
        return false;
    }
    if n > MAX_WORD_CHARS {
        skip_token(w, n, cat, ctx);
        prev.clear();
        return false;
    }
    true
}

/// [`emit_word`] for a word known to be ASCII.
fn emit_ascii_word(w: &str, cat: Category, ctx: &mut Ctx<'_, '_>, prev: &mut String) {
    emit_ascii_word_cased(w, None, cat, ctx, prev);
}

/// [`emit_ascii_word`], told whether the word has an upper-case letter
/// when the caller knows.
#[inline]
fn emit_ascii_word_cased(
    w: &str,
    upper: Option<bool>,
    cat: Category,
    ctx: &mut Ctx<'_, '_>,
    prev: &mut String,
) {
    let n = w.len();
    if !word_fits(w, n, cat, ctx, prev) {
        return;
    }
    if ctx.opts.fold_case && upper.unwrap_or_else(|| w.bytes().any(|b| b.is_ascii_uppercase())) {
        let mut buf = [0u8; MAX_WORD_CHARS];
        let lower = &mut buf[..n];
        lower.copy_from_slice(w.as_bytes());
        lower.make_ascii_lowercase();
        // ASCII in, ASCII out.
        if let Ok(l) = std::str::from_utf8(lower) {
            emit(l, cat, ctx, prev);
        }
    } else {
        emit(w, cat, ctx, prev);
    }
}

fn emit_word(w: &str, cat: Category, ctx: &mut Ctx<'_, '_>, prev: &mut String) {
    if w.is_ascii() {
        emit_ascii_word(w, cat, ctx, prev);
        return;
    }
    if !word_fits(w, w.chars().count(), cat, ctx, prev) {
        return;
    }
    if ctx.opts.fold_case && w.chars().any(char::is_uppercase) {
        emit(&w.to_lowercase(), cat, ctx, prev);
    } else {
        emit(w, cat, ctx, prev);
    }
}

fn emit_cjk(w: &str, cat: Category, ctx: &mut Ctx<'_, '_>, prev: &mut String) {
    if !w.chars().any(char::is_alphanumeric) {
        return;
    }
    let n = w.chars().count();
    if n > MAX_CJK_CHARS {
        skip_token(w, n, cat, ctx);
        prev.clear();
        return;
    }
    emit(w, cat, ctx, prev);
}

fn emit(w: &str, cat: Category, ctx: &mut Ctx<'_, '_>, prev: &mut String) {
    ctx.sink.emit(cat, w);
    if ctx.opts.word_pairs && matches!(cat, Category::Body | Category::Subject) {
        if !prev.is_empty() {
            prev.push(' ');
            prev.push_str(w);
            ctx.sink.emit(Category::Pair, prev);
        }
        prev.clear();
        prev.push_str(w);
    }
}

/// An overlong run becomes `CATEGORY:CLASS:LENGTH` with a coarse length class,
/// never a giant key and never nothing.
pub(crate) fn skip_token(w: &str, nchars: usize, cat: Category, ctx: &mut Ctx<'_, '_>) {
    let class = match w.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => 'a',
        Some(c) if c.is_ascii_digit() => 'd',
        Some(c) if matches!(c as u32, 0x3041..=0x30ff) => 'k',
        Some(c) if japanese::script_of(c).is_some() => 'h',
        _ => 'u',
    };
    let bucket = match nchars {
        0..100 => format!("{}", nchars / 10 * 10),
        100..1000 => "100+".to_string(),
        _ => "1000+".to_string(),
    };
    ctx.sink
        .emit(Category::Skip, &format!("{}:{class}:{bucket}", cat.name()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aw(s: &str) -> Vec<String> {
        let mut v = Vec::new();
        ascii_words(s, &mut |w| v.push(w.to_string()));
        v
    }

    #[test]
    fn ascii_words_match_uax29() {
        // Deterministic pseudo-random strings over the interesting alphabet.
        for s in crate::testing::random_ascii(b"ab1_.:,;' -\"Z9", 0x9e3779b97f4a7c15, 20000, 12) {
            let expect: Vec<String> = s.unicode_words().map(String::from).collect();
            assert_eq!(aw(&s), expect, "input {s:?}");
        }
    }

    /// The byte table says what the predicate it replaced said.
    #[test]
    fn byte_classes() {
        for b in 0..=255u8 {
            let sep = matches!(
                b,
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0 | b'<' | b'>' | b'"'
            );
            let want = if sep {
                SEPARATOR
            } else if b >= 0x80 {
                NON_ASCII
            } else if b.is_ascii_uppercase() {
                ALNUM | UPPER
            } else if b.is_ascii_alphanumeric() {
                ALNUM
            } else if b == b'_' {
                UNDERSCORE
            } else {
                OTHER
            };
            assert_eq!(BYTE_CLASS[b as usize], want, "byte {b:#04x}");
        }
    }

    #[test]
    fn ascii_examples() {
        assert_eq!(
            aw("don't pay $1,000,000 for example.com"),
            ["don't", "pay", "1,000,000", "for", "example.com"]
        );
    }

    #[test]
    fn urls_and_emails_found() {
        let s = "see:http://example.com/a).";
        let (a, b) = find_url(s).expect("url");
        assert_eq!(&s[a..b], "http://example.com/a");
        let s = "詳しくはhttp://example.jp/をご覧";
        let (a, b) = find_url(s).expect("url");
        assert_eq!(&s[a..b], "http://example.jp/");
        let s = "(www.Example.com)";
        let (a, b) = find_url(s).expect("www");
        assert_eq!(&s[a..b], "www.Example.com");
        let s = "<mailto:bob.smith@mail.example.co.jp>.";
        let (a, b) = find_email(s).expect("email");
        assert_eq!(&s[a..b], "bob.smith@mail.example.co.jp");
        assert_eq!(find_email("a@b"), None);
        assert_eq!(find_email("@example.com"), None);
    }
}
