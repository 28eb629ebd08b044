//! bogofilter's `bogoutil -d wordlist.db` dump:
//!
//! ```text
//! TOKEN SPAM GOOD DATE          e.g.  subj:Free 12 0 20261127
//! .MSG_COUNT SPAM GOOD DATE     message counts
//! .ENCODING 2 0 DATE            and other meta-tokens (skipped)
//! ```
//!
//! bogofilter counts a token once per message, as fumi does, and dates each
//! token (YYYYMMDD), so the counts and days are kept. Header tokens carry a
//! prefix; [`map_token`] says where each goes.

use std::borrow::Cow;

use super::{Imported, ParseError, bad, fields, lines};
use crate::token::Category;

/// Where a bogofilter token goes in fumi.
///
/// | bogofilter | fumi |
/// |---|---|
/// | no prefix | `body` (dotted quads: `ip`) |
/// | `subj:` | `subject` |
/// | `from:` | `from` |
/// | `to:` (To and Cc) | `to` |
/// | `rtrn:` | `return-path` |
/// | `rcvd:` | `received` (dotted quads: `ip`) |
/// | `head:` (other header names and words) | `header` |
/// | `mime:` | `mime` |
/// | `url:` | `url` |
/// | `ip:` | `ip` |
pub fn map_token(token: &str) -> (Category, &str) {
    const PREFIXES: &[(&str, Category)] = &[
        ("subj:", Category::Subject),
        ("from:", Category::From),
        ("to:", Category::To),
        ("rtrn:", Category::ReturnPath),
        ("rcvd:", Category::Received),
        ("head:", Category::Header),
        ("mime:", Category::Mime),
        ("url:", Category::Url),
        ("ip:", Category::Ip),
    ];
    for (p, cat) in PREFIXES {
        if let Some(rest) = token.strip_prefix(p)
            && !rest.is_empty()
        {
            if super::is_ipv4(rest) && matches!(cat, Category::Received) {
                return (Category::Ip, rest);
            }
            return (*cat, rest);
        }
    }
    if super::is_ipv4(token) {
        return (Category::Ip, token);
    }
    (Category::Body, token)
}

fn number(field: &[u8], line: usize) -> Result<u64, ParseError> {
    std::str::from_utf8(field)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| {
            bad(
                line,
                format!("{:?} is not a count", String::from_utf8_lossy(field)),
            )
        })
}

/// A bogofilter date (YYYYMMDD) as a store day; `None` if it is not one.
fn date(field: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(field).ok()?;
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    super::day_from_date(
        s[0..4].parse().ok()?,
        s[4..6].parse().ok()?,
        s[6..8].parse().ok()?,
    )
}

/// Reads a dump. Counts are capped at the message counts; tokens without a
/// usable date get `today`.
pub fn read(data: &[u8], fold_case: bool, today: u32) -> Result<Imported, ParseError> {
    let mut out = Imported::default();
    for (n, line) in lines(data) {
        let f = fields(line);
        if f.is_empty() {
            continue;
        }
        let (token, spam, good, day) = match f[..] {
            [t, s, g] => (t, number(s, n)?, number(g, n)?, None),
            [t, s, g, d] => (t, number(s, n)?, number(g, n)?, date(d)),
            _ => {
                return Err(bad(n, "not a bogoutil -d line (TOKEN SPAM GOOD DATE)"));
            }
        };
        if token.first() == Some(&b'.') {
            if token == b".MSG_COUNT" {
                out.messages.spam += spam;
                out.messages.clean += good;
            }
            continue;
        }
        if spam == 0 && good == 0 {
            continue;
        }
        out.read += 1;
        let text: Cow<'_, str> = match std::str::from_utf8(token) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(token)
                    .0
            }
        };
        let (cat, tok) = map_token(&text);
        match super::foreign_key(cat, tok, fold_case) {
            Some(key) => out.add(key, spam, good, day.unwrap_or(today)),
            None => out.drop_token("too long for fumi"),
        }
    }
    out.cap_at_messages();
    // bogofilter's tokens, not fumi's (score::Params::import_led).
    out.messages = out.messages.as_imported();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Totals;
    use crate::token::set::make_key;

    #[test]
    fn reads_a_dump() {
        let data = b".ENCODING 2 0 20261127\n.MSG_COUNT 6 5 20261127\n.WORDLIST_VERSION 20040500 0 20261127\n\
            AND 2 0 20261127\nand 1 1 20250101\nsubj:DEBT 1 0 20261127\nrcvd:127.0.0.1 5 5 20261127\n\
            head:X-Mailer 0 3 20261127\n$700 0 1 20261127\nfrom:\xe5\xb8\x82\xe5\xb7\x9d 1 0 20261127\n";
        let imp = read(data, true, 1).expect("parse");
        assert_eq!(imp.messages, Totals::new(6, 5).as_imported());
        let get = |cat, tok| imp.counts.get(&make_key(cat, tok)).copied();
        let and = get(Category::Body, "and").expect("and");
        assert_eq!((and.spam, and.clean), (3, 1));
        assert_eq!(and.day, 9_827, "the later day of the merged tokens");
        assert_eq!(get(Category::Subject, "debt").map(|c| c.spam), Some(1));
        assert_eq!(get(Category::Ip, "127.0.0.1").map(|c| c.clean), Some(5));
        assert_eq!(get(Category::Header, "x-mailer").map(|c| c.clean), Some(3));
        assert_eq!(get(Category::Body, "$700").map(|c| c.clean), Some(1));
        assert_eq!(get(Category::From, "市川").map(|c| c.spam), Some(1));
        assert_eq!(imp.read, 7);
    }

    #[test]
    fn undated_and_malformed() {
        let imp = read(b"word 1 0\n", true, 42).expect("parse");
        assert_eq!(imp.counts[&make_key(Category::Body, "word")].day, 42);
        assert_eq!(
            read(b"word 1 0 20260101\nword x 0\n", true, 1)
                .map_err(|e| e.line)
                .err(),
            Some(2)
        );
        assert!(read(b"LANG C body word 1\n", true, 1).is_err());
    }
}
