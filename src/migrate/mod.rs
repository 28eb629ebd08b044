//! Moving token counts in and out of fumi: bsfilter's `--export-*` text
//! format (read and written), bogofilter's `bogoutil -d` dump (read), and
//! fumi's own lossless dump of a whole database (`--export-db` /
//! `--import-db`).
//!
//! bsfilter and bogofilter tokenize differently from fumi, so their tokens
//! are mapped onto fumi's categories and normalised the way fumi normalises
//! its own ([`foreign_key`]); what has no counterpart is dropped and counted.
//! An import is a warm start, not a substitute for retraining.

pub mod bogofilter;
pub mod bsfilter;
pub mod native;

use std::collections::BTreeMap;
use std::fmt;

use crate::store::{TokenCounts, Totals};
use crate::token::{self, Category};

/// Errors of imports and exports.
#[derive(Debug)]
pub enum Error {
    Store(crate::store::Error),
    Io(std::io::Error),
    Parse(ParseError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Store(e) => write!(f, "{e}"),
            Error::Io(e) => write!(f, "{e}"),
            Error::Parse(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<crate::store::Error> for Error {
    fn from(e: crate::store::Error) -> Self {
        Error::Store(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error::Parse(e)
    }
}

/// A parse error, with the line it was found on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

fn bad(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

/// Token counts read from a dump, keyed by fumi database key, in key order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Imported {
    /// Counts per key. `day` is 0 when the dump has no dates (the store then
    /// stamps today).
    pub counts: BTreeMap<Vec<u8>, TokenCounts>,
    /// Message counts.
    pub messages: Totals,
    /// Tokens read (lines with a count, before mapping and merging).
    pub read: u64,
    /// Tokens dropped, by the reason (usually the foreign category).
    pub dropped: BTreeMap<String, u64>,
}

impl Imported {
    fn drop_token(&mut self, why: &str) {
        *self.dropped.entry(why.to_string()).or_insert(0) += 1;
    }

    /// Adds counts to a key; the day kept is the later one.
    fn add(&mut self, key: Vec<u8>, spam: u64, clean: u64, day: u32) {
        let e = self.counts.entry(key).or_default();
        e.spam = (e.spam as u64 + spam).min(u32::MAX as u64) as u32;
        e.clean = (e.clean as u64 + clean).min(u32::MAX as u64) as u32;
        e.day = e.day.max(day);
    }

    /// Caps every count at the number of messages of its class: fumi counts
    /// a token once per message, bsfilter counts every occurrence, and a
    /// token cannot be in more messages than were learned. A class with no
    /// recorded message count is left alone.
    fn cap_at_messages(&mut self) {
        let cap = |v: u32, n: u64| {
            if n == 0 { v } else { (v as u64).min(n) as u32 }
        };
        for c in self.counts.values_mut() {
            c.spam = cap(c.spam, self.messages.spam);
            c.clean = cap(c.clean, self.messages.clean);
        }
    }

    /// Adds another import to this one (several files in one run).
    pub fn merge(&mut self, other: Imported) {
        for (k, c) in other.counts {
            self.add(k, c.spam as u64, c.clean as u64, c.day);
        }
        self.messages = self.messages.plus(other.messages);
        self.read += other.read;
        for (why, n) in other.dropped {
            *self.dropped.entry(why).or_insert(0) += n;
        }
    }

    /// Tokens dropped in all.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.values().sum()
    }
}

/// Writes a token (or any byte string) as one whitespace-free field:
/// `%`, space, control characters and bytes that are not UTF-8 become
/// `%XX` (hex, upper case); the empty string is a lone `%`. Everything else,
/// Japanese included, is written as UTF-8.
pub fn escape(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "%".into();
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '%' || c == ' ' || c.is_control() {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Reverses [`escape`]; `None` for a malformed escape.
pub fn unescape(s: &[u8]) -> Option<Vec<u8>> {
    if s == b"%" {
        return Some(Vec::new());
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The name of a database key's category, or `#ID` for an id this fumi does
/// not know (so that a dump stays lossless).
pub fn category_field(id: u8) -> String {
    match Category::from_id(id) {
        Some(c) => c.name().to_string(),
        None => format!("#{id}"),
    }
}

/// The category id a [`category_field`] names.
pub fn category_id(field: &str) -> Option<u8> {
    match field.strip_prefix('#') {
        Some(n) => n.parse().ok(),
        None => Category::from_name(field).map(|c| c as u8),
    }
}

/// Splits a line into whitespace-separated fields (bytes).
fn fields(line: &[u8]) -> Vec<&[u8]> {
    line.split(|b| b.is_ascii_whitespace())
        .filter(|f| !f.is_empty())
        .collect()
}

/// Lines of a dump, without line endings, numbered from 1.
fn lines(data: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    data.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l))
}

/// The fumi key of a token another filter learned: the token normalised as
/// fumi normalises its own (NFKC; lower case where fumi folds case), or
/// `None` when fumi would never produce it (too long, empty).
pub fn foreign_key(cat: Category, token: &str, fold_case: bool) -> Option<Vec<u8>> {
    use unicode_normalization::UnicodeNormalization;
    let t: String = token.nfkc().collect();
    let t = t.trim();
    // Words are at most MAX_WORD_CHARS in fumi; host names, header names and
    // `name:value` header tokens may be longer.
    let max = match cat {
        Category::Header | Category::Url | Category::Received | Category::Ip => 80,
        _ => token::MAX_WORD_CHARS,
    };
    if t.is_empty() || t.chars().count() > max {
        return None;
    }
    let lower = fold_case
        || matches!(
            cat,
            Category::Received | Category::Url | Category::Header | Category::Ip | Category::Mime
        );
    let t = if lower {
        t.to_lowercase()
    } else {
        t.to_string()
    };
    Some(token::set::make_key(cat, &t))
}

/// Days since 2000-01-01 of a civil date (the store's day numbers); `None`
/// for an impossible date or one before 2000.
pub fn day_from_date(y: i64, m: u32, d: u32) -> Option<u32> {
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    // Days-from-civil (Howard Hinnant's algorithm), epoch 1970-01-01.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days_1970 = era * 146_097 + doe - 719_468;
    u32::try_from(days_1970 - 10_957).ok()
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Is `s` a dotted-quad IPv4 address (fumi keeps those in the `ip` category)?
fn is_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|v| v <= 255)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_round_trip() {
        for s in [
            &b""[..],
            b"plain",
            b"x-priority:3 (normal)",
            b"100%",
            b"tab\there\nnl\r",
            "未公開株".as_bytes(),
            b"\xff\xfe bad utf8",
            b"%",
            b"%%41",
        ] {
            let e = escape(s);
            assert!(!e.contains([' ', '\t', '\n', '\r']), "{e:?}");
            assert_eq!(unescape(e.as_bytes()).as_deref(), Some(s), "{e:?}");
        }
        assert_eq!(escape(b"a b%"), "a%20b%25");
        assert_eq!(escape("未".as_bytes()), "未");
        assert_eq!(unescape(b"%4"), None);
        assert_eq!(unescape(b"%zz"), None);
    }

    #[test]
    fn dates() {
        use crate::store::lmdb::day_to_date;
        assert_eq!(day_from_date(2000, 1, 1), Some(0));
        assert_eq!(day_from_date(2026, 11, 27), Some(9_827));
        assert_eq!(day_from_date(1999, 12, 31), None);
        assert_eq!(day_from_date(2025, 2, 29), None);
        for day in [0, 59, 60, 365, 9_827, 40_000] {
            let s = day_to_date(day);
            let (y, rest) = s.split_once('-').expect("date");
            let (m, d) = rest.split_once('-').expect("date");
            let parsed = day_from_date(
                y.parse().expect("y"),
                m.parse().expect("m"),
                d.parse().expect("d"),
            );
            assert_eq!(parsed, Some(day), "{s}");
        }
    }

    #[test]
    fn categories() {
        assert_eq!(category_field(Category::Subject as u8), "subject");
        assert_eq!(category_field(200), "#200");
        assert_eq!(category_id("subject"), Some(Category::Subject as u8));
        assert_eq!(category_id("#200"), Some(200));
        assert_eq!(category_id("tag"), None);
    }

    #[test]
    fn foreign_tokens_are_normalised() {
        assert_eq!(
            foreign_key(Category::Body, "ＦＲＥＥ", true),
            Some(token::set::make_key(Category::Body, "free"))
        );
        assert_eq!(
            foreign_key(Category::Body, "Free", false),
            Some(token::set::make_key(Category::Body, "Free"))
        );
        assert_eq!(
            foreign_key(Category::Header, "X-Mailer", false),
            Some(token::set::make_key(Category::Header, "x-mailer"))
        );
        assert_eq!(foreign_key(Category::Body, &"ー".repeat(40), true), None);
        assert!(is_ipv4("10.0.0.255") && !is_ipv4("10.0.0") && !is_ipv4("3.14"));
    }
}
