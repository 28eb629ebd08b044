//! bsfilter's `--export-clean` / `--export-spam` text format:
//!
//! ```text
//! LANG CATEGORY TOKEN COUNT          e.g.  C body viagra 5
//! LANG .internal file_count N               ja .internal file_count 120
//! # comment
//! ```
//!
//! LANG is `C` or `ja`; `ja` tokens are EUC-JP bytes. COUNT is written with
//! `%g` and counts occurrences. bsfilter writes in hash order.
//!
//! fumi writes the same format (so the lines are what bsfilter's own import
//! reads) with its own tokens: UTF-8, every line LANG `C`, `%`, space and
//! control characters escaped as `%XX` ([`super::escape`]), in database key
//! order (category, then token), after a `# fumi` comment line. When fumi
//! reads a file that starts with that line it takes the tokens as fumi's
//! own: same categories, unescaped, no normalisation and no capping.

use std::borrow::Cow;
use std::io::Write;

use super::{Error, Imported, ParseError, bad, category_field, category_id, fields, lines};
use crate::score::{self, Params};
use crate::store::{Class, Store};
use crate::token::Category;

/// The first line of a file fumi wrote.
pub const FUMI_MARK: &[u8] = b"# fumi ";

/// bsfilter's languages, in the order they are reported.
const LANGS: [&str; 2] = ["C", "ja"];

/// Where a bsfilter category goes in fumi: the category and the token as
/// fumi would spell it, or `None` when fumi has no such feature.
///
/// | bsfilter | fumi |
/// |---|---|
/// | `body` | `body` (dotted quads: `ip`) |
/// | `subject`, `from`, `to`, `cc`, `reply-to`, `return-path`, `sender` | the same |
/// | `received` | `received` (dotted quads: `ip`) |
/// | `url` | `url` |
/// | `content-transfer-encoding` | `header`, as `content-transfer-encoding:VALUE` |
/// | `tag`, `content-type`, `charset`, `content-disposition`, `ufrom`, other headers | dropped |
pub fn map_category(category: &str, token: &str) -> Option<(Category, Cow<'static, str>)> {
    let ip = super::is_ipv4(token);
    let cat = match category {
        "body" if ip => Category::Ip,
        "body" => Category::Body,
        "subject" => Category::Subject,
        "from" => Category::From,
        "to" => Category::To,
        "cc" => Category::Cc,
        "reply-to" => Category::ReplyTo,
        "return-path" => Category::ReturnPath,
        "sender" => Category::Sender,
        "received" if ip => Category::Ip,
        "received" => Category::Received,
        "url" => Category::Url,
        "content-transfer-encoding" => {
            return Some((
                Category::Header,
                Cow::Owned(format!("content-transfer-encoding:{token}")),
            ));
        }
        _ => return None,
    };
    Some((cat, Cow::Owned(token.to_string())))
}

/// A bsfilter token's bytes as text: `ja` tokens are EUC-JP, `C` tokens
/// ASCII (Latin-1 bytes are decoded as Windows-1252).
fn decode_token<'a>(lang: &str, bytes: &'a [u8]) -> Cow<'a, str> {
    if let Ok(s) = std::str::from_utf8(bytes)
        && (lang != "ja" || s.is_ascii())
    {
        return Cow::Borrowed(s);
    }
    if lang == "ja"
        && let Some(s) =
            encoding_rs::EUC_JP.decode_without_bom_handling_and_without_replacement(bytes)
    {
        return s;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    }
}

fn parse_count(field: &[u8], line: usize) -> Result<u64, ParseError> {
    let s = std::str::from_utf8(field).map_err(|_| bad(line, "the count is not a number"))?;
    let v: f64 = s
        .parse()
        .map_err(|_| bad(line, format!("the count {s:?} is not a number")))?;
    if !v.is_finite() || v < 0.0 {
        return Err(bad(line, format!("the count {s:?} is not a count")));
    }
    Ok(v.round().min(u32::MAX as f64) as u64)
}

/// Reads an export of class `class` (bsfilter's, or fumi's own). bsfilter
/// tokens are mapped with [`map_category`] and normalised with
/// [`super::foreign_key`]; their occurrence counts are capped at the
/// language's message count.
pub fn read(data: &[u8], class: Class, fold_case: bool) -> Result<Imported, ParseError> {
    let fumi = data
        .split(|&b| b == b'\n')
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        .is_some_and(|l| l.starts_with(FUMI_MARK));
    let mut out = Imported::default();
    let mut file_count = [0u64; 2];
    // (language, key, count) before capping.
    let mut entries: Vec<(usize, Vec<u8>, u64)> = Vec::new();
    for (n, line) in lines(data) {
        let trimmed = line.trim_ascii_start();
        if trimmed.is_empty() || trimmed.starts_with(b"#") {
            continue;
        }
        let f = fields(line);
        let [lang, category, token, count] = f[..] else {
            return Err(bad(
                n,
                "not a bsfilter export line (LANG CATEGORY TOKEN COUNT)",
            ));
        };
        let lang = std::str::from_utf8(lang).unwrap_or("");
        let Some(li) = LANGS.iter().position(|l| *l == lang) else {
            return Err(bad(
                n,
                format!("unknown language {lang:?} (bsfilter writes C or ja)"),
            ));
        };
        let count = parse_count(count, n)?;
        let category =
            std::str::from_utf8(category).map_err(|_| bad(n, "the category is not text"))?;
        if category == ".internal" {
            if token == b"file_count" {
                file_count[li] += count;
            }
            continue;
        }
        if count == 0 {
            continue;
        }
        out.read += 1;
        if fumi {
            let id = category_id(category)
                .ok_or_else(|| bad(n, format!("unknown fumi category {category:?}")))?;
            let tok = super::unescape(token).ok_or_else(|| bad(n, "malformed %XX escape"))?;
            let mut key = vec![id];
            key.extend_from_slice(&tok);
            entries.push((li, key, count));
            continue;
        }
        let text = decode_token(lang, token);
        let Some((cat, tok)) = map_category(category, &text) else {
            out.drop_token(category);
            continue;
        };
        match super::foreign_key(cat, &tok, fold_case) {
            Some(key) => entries.push((li, key, count)),
            None => out.drop_token("too long for fumi"),
        }
    }
    for (li, key, count) in entries {
        let count = if fumi || file_count[li] == 0 {
            count
        } else {
            count.min(file_count[li])
        };
        match class {
            Class::Spam => out.add(key, count, 0, 0),
            Class::Clean => out.add(key, 0, count, 0),
        }
    }
    let messages = file_count.iter().sum();
    match class {
        Class::Spam => out.messages.spam = messages,
        Class::Clean => out.messages.clean = messages,
    }
    if !fumi {
        out.cap_at_messages();
        // bsfilter's tokens, not fumi's (score::Params::import_led).
        out.messages = out.messages.as_imported();
    }
    Ok(out)
}

/// Writes the counts of one class in the export format; returns the number
/// of token lines.
pub fn write(store: &dyn Store, class: Class, out: &mut dyn Write) -> Result<u64, Error> {
    let totals = store.totals()?;
    let messages = match class {
        Class::Spam => totals.spam,
        Class::Clean => totals.clean,
    };
    writeln!(
        out,
        "# fumi {} --export-{}: LANG CATEGORY TOKEN COUNT; fumi's tokens in UTF-8, \
         '%', space and control characters as %XX",
        env!("CARGO_PKG_VERSION"),
        class.name()
    )?;
    writeln!(out, "C .internal file_count {messages}")?;
    let mut n = 0u64;
    let mut io_err = None;
    store.for_each(&mut |key, counts| {
        let c = counts.get(class);
        if c == 0 || io_err.is_some() {
            return;
        }
        let Some((&id, token)) = key.split_first() else {
            return;
        };
        let r = writeln!(out, "C {} {} {c}", category_field(id), super::escape(token));
        match r {
            Ok(()) => n += 1,
            Err(e) => io_err = Some(e),
        }
    })?;
    if let Some(e) = io_err {
        return Err(e.into());
    }
    Ok(n)
}

/// `%g`: six significant digits, trailing zeros removed (as bsfilter
/// writes its numbers).
pub fn format_g(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            v.to_string()
        };
    }
    let exp = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        let s = format!("{v:.5e}");
        let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
        let mant = trim_zeros(mant);
        let e: i32 = e.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        return format!("{mant}e{sign}{:02}", e.abs());
    }
    let decimals = (5 - exp).max(0) as usize;
    trim_zeros(&format!("{v:.decimals$}")).to_string()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// bsfilter's `--export-probability`: every token's f(w) (Robinson's, with
/// the scoring parameters in use), `.internal robx` and `.internal
/// file_count` (the number of tokens). For reading, not for importing.
pub fn write_probabilities(
    store: &dyn Store,
    params: &Params,
    out: &mut dyn Write,
) -> Result<u64, Error> {
    let (totals, map) = store.snapshot()?;
    let params = &*params.in_effect(totals);
    let mut keys: Vec<_> = map.iter().collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
    writeln!(
        out,
        "# fumi {} --export-probability: LANG CATEGORY TOKEN f(w) (s={}, x={})",
        env!("CARGO_PKG_VERSION"),
        params.strength,
        params.prior
    )?;
    writeln!(out, "C .internal robx {}", format_g(params.prior))?;
    writeln!(out, "C .internal file_count {}", keys.len())?;
    for (key, counts) in &keys {
        let Some((&id, token)) = key.split_first() else {
            continue;
        };
        let f = score::robinson_f(**counts, totals, params);
        writeln!(
            out,
            "C {} {} {}",
            category_field(id),
            super::escape(token),
            format_g(f)
        )?;
    }
    Ok(keys.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Totals;
    use crate::token::set::make_key;

    #[test]
    fn reads_bsfilter_lines() {
        let mut data =
            b"# a comment\nC body Viagra 7\nC body viagra 1\nC tag href 6\nC subject FREE 1\n\
            C body 192.168.1.1 1\nC content-transfer-encoding base64 2\nC .internal file_count 3\n"
                .to_vec();
        let (ja, _, _) = encoding_rs::EUC_JP.encode("ja body 無料 2\nja .internal file_count 2\n");
        data.extend_from_slice(&ja);
        let imp = read(&data, Class::Spam, true).expect("parse");
        // Recorded as imported: bsfilter's tokens are not fumi's.
        assert_eq!(imp.messages, Totals::new(5, 0).as_imported());
        let get = |cat, tok| {
            imp.counts
                .get(&make_key(cat, tok))
                .map(|c| (c.spam, c.clean))
        };
        // Viagra ×7 capped at C's 3 messages, plus viagra ×1, under fumi's case folding.
        assert_eq!(get(Category::Body, "viagra"), Some((4, 0)));
        assert_eq!(get(Category::Subject, "free"), Some((1, 0)));
        assert_eq!(get(Category::Ip, "192.168.1.1"), Some((1, 0)));
        assert_eq!(
            get(Category::Header, "content-transfer-encoding:base64"),
            Some((2, 0))
        );
        assert_eq!(get(Category::Body, "無料"), Some((2, 0)));
        assert_eq!(imp.dropped.get("tag"), Some(&1));
        assert_eq!(imp.read, 7);
    }

    #[test]
    fn counts_capped_by_all_messages_after_merging() {
        let data = b"C body Free 2\nC body free 2\nC body FREE 2\nC .internal file_count 4\n";
        let imp = read(data, Class::Clean, true).expect("parse");
        let c = imp.counts[&make_key(Category::Body, "free")];
        assert_eq!((c.spam, c.clean), (0, 4));
        let imp = read(data, Class::Clean, false).expect("parse");
        assert_eq!(imp.counts.len(), 3);
    }

    #[test]
    fn rejects_what_is_not_an_export() {
        let e = read(b"C body x 1\nSubject: hello there you\n", Class::Spam, true);
        assert_eq!(e.map_err(|e| e.line).err(), Some(2));
        let e = read(b"C body x\n", Class::Spam, true);
        assert_eq!(e.map_err(|e| e.line).err(), Some(1));
        let e = read(b"C body x lots\n", Class::Spam, true);
        assert!(e.is_err());
        assert!(read(b"C body x 1e+06\n", Class::Spam, true).is_ok());
    }

    #[test]
    fn reads_fumi_lines_as_they_are() {
        let data = b"# fumi 0.1.0 --export-spam\nC .internal file_count 2\nC header x-priority:3%20(normal) 2\n\
            C email Bob@Example.com 1\nC #200 raw 1\n";
        let imp = read(data, Class::Spam, true).expect("parse");
        // fumi's own tokens: not an import from another filter.
        assert_eq!(imp.messages, Totals::new(2, 0));
        assert_eq!(
            imp.counts[&make_key(Category::Header, "x-priority:3 (normal)")].spam,
            2
        );
        assert_eq!(
            imp.counts[&make_key(Category::Email, "Bob@Example.com")].spam,
            1
        );
        assert_eq!(imp.counts[&b"\xc8raw"[..]].spam, 1);
        assert!(read(b"# fumi x\nC tag href 1\n", Class::Spam, true).is_err());
    }

    #[test]
    fn g_format() {
        assert_eq!(format_g(0.5), "0.5");
        assert_eq!(format_g(0.999812345), "0.999812");
        assert_eq!(format_g(0.0001234), "0.0001234");
        assert_eq!(format_g(0.00001234), "1.234e-05");
        assert_eq!(format_g(1234567.0), "1.23457e+06");
        assert_eq!(format_g(12.0), "12");
        assert_eq!(format_g(0.0), "0");
    }
}
