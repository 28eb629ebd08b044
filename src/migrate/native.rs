//! fumi's own dump of a whole database, for backups and for moving a
//! database to another machine, store or fumi version. It is text, one
//! record per line, and loses nothing the [`Store`] keeps:
//!
//! ```text
//! # fumi database dump ...
//! fumi-db-dump 1
//! tokenizer fumi-tok-1;ja=ipadic;case=fold;pairs=off
//! messages SPAM CLEAN
//! imported SPAM CLEAN                        of those, imported from another filter (only if any)
//! t CATEGORY TOKEN SPAM CLEAN YYYY-MM-DD     one per token, in key order
//! d DIGEST CLASS YYYY-MM-DD                  one per trained message (hex digest, spam|clean)
//! end TOKENS DIGESTS
//! ```
//!
//! Tokens are escaped as in [`super::escape`]; an unknown category id is
//! written `#ID`. The `end` line, with the record counts, makes a truncated
//! file an error instead of a partial restore.

use std::io::Write;

use super::{Error, ParseError, bad, category_field, category_id, fields, lines};
use crate::store::lmdb::day_to_date;
use crate::store::{Class, Digest, Store, TokenCounts, Totals};

/// The format line.
pub const MAGIC: &str = "fumi-db-dump";
/// The format version this code writes and reads.
pub const VERSION: u32 = 1;

/// A dump in memory.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Dump {
    /// The tokenizer the database was trained with, if recorded.
    pub tokenizer: Option<String>,
    pub messages: Totals,
    /// Token counts, in key order.
    pub tokens: Vec<(Vec<u8>, TokenCounts)>,
    /// Trained-message digests.
    pub trained: Vec<(Digest, Class, u32)>,
}

/// Reads the whole database: message counts and token counts from one
/// snapshot, then the trained digests.
pub fn collect(store: &dyn Store) -> Result<Dump, Error> {
    let (messages, map) = store.snapshot()?;
    let mut tokens: Vec<(Vec<u8>, TokenCounts)> =
        map.into_iter().map(|(k, c)| (k.into_vec(), c)).collect();
    tokens.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut trained = Vec::new();
    store.for_each_trained(&mut |d, c, day| trained.push((*d, c, day)))?;
    let tokenizer = store
        .status()?
        .into_iter()
        .find(|(k, _)| k == "tokenizer")
        .map(|(_, v)| v)
        .filter(|v| v != "-");
    Ok(Dump {
        tokenizer,
        messages,
        tokens,
        trained,
    })
}

/// Writes a dump.
pub fn write(dump: &Dump, out: &mut dyn Write) -> Result<(), Error> {
    writeln!(
        out,
        "# fumi database dump (fumi {} --export-db); restore with: fumi --homedir DIR --import-db FILE",
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(out, "{MAGIC} {VERSION}")?;
    if let Some(t) = &dump.tokenizer {
        writeln!(out, "tokenizer {}", super::escape(t.as_bytes()))?;
    }
    writeln!(
        out,
        "messages {} {}",
        dump.messages.spam, dump.messages.clean
    )?;
    let m = dump.messages;
    if m.imported_spam + m.imported_clean > 0 {
        writeln!(out, "imported {} {}", m.imported_spam, m.imported_clean)?;
    }
    for (key, c) in &dump.tokens {
        let Some((&id, token)) = key.split_first() else {
            continue;
        };
        writeln!(
            out,
            "t {} {} {} {} {}",
            category_field(id),
            super::escape(token),
            c.spam,
            c.clean,
            day_to_date(c.day)
        )?;
    }
    for (digest, class, day) in &dump.trained {
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        writeln!(out, "d {hex} {} {}", class.name(), day_to_date(*day))?;
    }
    let tokens = dump.tokens.iter().filter(|(k, _)| !k.is_empty()).count();
    writeln!(out, "end {tokens} {}", dump.trained.len())?;
    Ok(())
}

fn num<T: std::str::FromStr>(f: &[u8], line: usize, what: &str) -> Result<T, ParseError> {
    std::str::from_utf8(f)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(line, format!("bad {what}")))
}

fn day(f: &[u8], line: usize) -> Result<u32, ParseError> {
    let s = std::str::from_utf8(f).map_err(|_| bad(line, "bad date"))?;
    let mut it = s.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (it.next(), it.next(), it.next()) else {
        return Err(bad(line, format!("bad date {s:?}")));
    };
    match (y.parse(), m.parse(), d.parse()) {
        (Ok(y), Ok(m), Ok(d)) => {
            super::day_from_date(y, m, d).ok_or_else(|| bad(line, format!("bad date {s:?}")))
        }
        _ => Err(bad(line, format!("bad date {s:?}"))),
    }
}

fn digest(f: &[u8], line: usize) -> Result<Digest, ParseError> {
    let mut d = [0u8; 16];
    if f.len() != 32 {
        return Err(bad(line, "a digest is 32 hex digits"));
    }
    for (i, pair) in f.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).map_err(|_| bad(line, "bad digest"))?;
        d[i] = u8::from_str_radix(s, 16).map_err(|_| bad(line, "bad digest"))?;
    }
    Ok(d)
}

/// Reads a dump; the whole file must be there (the `end` line must match).
pub fn read(data: &[u8]) -> Result<Dump, ParseError> {
    let mut dump = Dump::default();
    let mut seen_magic = false;
    let mut end: Option<(usize, usize)> = None;
    let mut last = 0;
    for (n, line) in lines(data) {
        last = n;
        let f = fields(line);
        if f.is_empty() || f[0].starts_with(b"#") {
            continue;
        }
        if end.is_some() {
            return Err(bad(n, "text after the end line"));
        }
        if !seen_magic {
            match f[..] {
                [m, v] if m == MAGIC.as_bytes() => {
                    let v: u32 = num(v, n, "format version")?;
                    if v != VERSION {
                        return Err(bad(
                            n,
                            format!("dump format {v}; this fumi reads format {VERSION}"),
                        ));
                    }
                    seen_magic = true;
                    continue;
                }
                _ => return Err(bad(n, "not a fumi --export-db dump")),
            }
        }
        match f[..] {
            [b"tokenizer", t] => {
                let t = super::unescape(t).ok_or_else(|| bad(n, "bad escape"))?;
                dump.tokenizer = Some(String::from_utf8_lossy(&t).into_owned());
            }
            [b"messages", s, c] => {
                dump.messages.spam = num(s, n, "count")?;
                dump.messages.clean = num(c, n, "count")?;
            }
            [b"imported", s, c] => {
                dump.messages.imported_spam = num(s, n, "count")?;
                dump.messages.imported_clean = num(c, n, "count")?;
            }
            [b"t", cat, tok, s, c, d] => {
                let cat = std::str::from_utf8(cat).unwrap_or("");
                let id = category_id(cat).ok_or_else(|| bad(n, format!("bad category {cat:?}")))?;
                let mut key = vec![id];
                key.extend(super::unescape(tok).ok_or_else(|| bad(n, "bad escape"))?);
                let counts = TokenCounts {
                    spam: num(s, n, "count")?,
                    clean: num(c, n, "count")?,
                    day: day(d, n)?,
                };
                dump.tokens.push((key, counts));
            }
            [b"d", hex, class, d] => {
                let class = match class {
                    b"spam" => Class::Spam,
                    b"clean" => Class::Clean,
                    _ => return Err(bad(n, "the class is spam or clean")),
                };
                dump.trained.push((digest(hex, n)?, class, day(d, n)?));
            }
            [b"end", t, d] => {
                end = Some((num(t, n, "count")?, num(d, n, "count")?));
            }
            _ => return Err(bad(n, "not a dump record")),
        }
    }
    match end {
        Some((t, d)) if t == dump.tokens.len() && d == dump.trained.len() => Ok(dump),
        Some((t, d)) => Err(bad(
            last,
            format!(
                "the end line says {t} tokens and {d} digests, the file has {} and {}",
                dump.tokens.len(),
                dump.trained.len()
            ),
        )),
        None if !seen_magic => Err(bad(last.max(1), "not a fumi --export-db dump")),
        None => Err(bad(last, "no end line: the dump is truncated")),
    }
}

/// Restores a dump into a store: token counts with their days and the
/// message counts in one transaction, then the digests, then the tokenizer
/// id (when the store has none recorded).
pub fn restore(dump: &Dump, store: &dyn Store) -> Result<(), Error> {
    store.restore(
        &dump.tokens,
        dump.messages,
        &dump.trained,
        dump.tokenizer.as_deref(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::Category;
    use crate::token::set::make_key;

    fn sample() -> Dump {
        let mut raw = vec![200u8];
        raw.extend_from_slice(b"\xff odd");
        Dump {
            tokenizer: Some("fumi-tok-1;ja=ipadic;case=fold;pairs=off".into()),
            messages: Totals::new(3, 4),
            tokens: vec![
                (
                    make_key(Category::Body, "free"),
                    TokenCounts {
                        spam: 3,
                        clean: 1,
                        day: 9_800,
                    },
                ),
                (
                    make_key(Category::Header, "x-priority:3 (normal)"),
                    TokenCounts {
                        spam: 1,
                        clean: 0,
                        day: 9_827,
                    },
                ),
                (
                    raw,
                    TokenCounts {
                        spam: 0,
                        clean: 2,
                        day: 1,
                    },
                ),
            ],
            trained: vec![
                ([0xab; 16], Class::Spam, 9_000),
                ([1; 16], Class::Clean, 9_001),
            ],
        }
    }

    #[test]
    fn round_trip() {
        let d = sample();
        let mut buf = Vec::new();
        write(&d, &mut buf).expect("write");
        assert_eq!(read(&buf).expect("read"), d);
        let text = String::from_utf8(buf).expect("utf8");
        assert!(text.contains("\nt header x-priority:3%20(normal) 1 0 2026-11-27\n"));
        assert!(text.contains("\nt #200 %FF%20odd 0 2 2000-01-02\n"));
    }

    /// The imported share of the message counts survives a dump and is
    /// written only when there is one.
    #[test]
    fn imported_counts_round_trip() {
        let mut d = sample();
        let mut buf = Vec::new();
        write(&d, &mut buf).expect("write");
        assert!(!String::from_utf8_lossy(&buf).contains("\nimported "));
        d.messages = Totals::new(30, 40).plus(Totals::new(20, 25).as_imported());
        let mut buf = Vec::new();
        write(&d, &mut buf).expect("write");
        let text = String::from_utf8_lossy(&buf).into_owned();
        assert!(
            text.contains("\nmessages 50 65\nimported 20 25\n"),
            "{text}"
        );
        assert_eq!(read(&buf).expect("read"), d);
    }

    #[test]
    fn truncation_and_garbage() {
        let mut buf = Vec::new();
        write(&sample(), &mut buf).expect("write");
        let text = String::from_utf8(buf).expect("utf8");
        let cut = &text[..text.find("\nd ").expect("digest line")];
        assert!(read(cut.as_bytes()).is_err());
        let wrong = text.replace("end 3 2", "end 4 2");
        assert!(read(wrong.as_bytes()).is_err());
        assert!(read(b"C body x 1\n").is_err());
        assert!(read(b"").is_err());
        assert!(read(b"fumi-db-dump 2\nend 0 0\n").is_err());
        assert!(read(b"fumi-db-dump 1\nmessages 0 0\nend 0 0\n").is_ok());
    }
}
