//! HTML to text for tokenizing.
//!
//! A small state machine, not a DOM: every tag is a word separator (so
//! `foo</div><div>bar` stays two words), the contents of `head`, `title`,
//! `style`, `script` and `template` and all comments are skipped, text hidden
//! with `display:none`, `visibility:hidden`, a zero font size or the `hidden`
//! attribute is dropped, entities are decoded, and link targets and image
//! `alt` texts are kept for the tokenizer.

/// Visible text and link targets of an HTML document.
#[derive(Debug, Default, PartialEq)]
pub struct HtmlText {
    pub text: String,
    /// `href`, `src`, `action` and `background` values that look like URLs.
    pub links: Vec<String>,
}

use std::borrow::Cow;

const MAX_STACK: usize = 256;

/// Elements whose content is never shown.
const SKIP_CONTENT: &[&str] = &["script", "style", "title", "template", "xml"];

/// Elements that have no end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "basefont", "frame", "keygen",
];

/// Elements that an open element of the same name implicitly closes.
const SELF_CLOSING_SIBLINGS: &[&str] = &["p", "li", "td", "th", "tr", "option", "dt", "dd"];

struct Tag<'a> {
    name: Cow<'a, str>,
    end: bool,
    self_closing: bool,
    attrs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// Lower case, borrowed when the text already is.
/// How far into an HTML part a `<meta>` charset declaration is looked for
/// (HTML's own prescan reads 1024 bytes; mailers put more before it).
const META_PRESCAN: usize = 4096;

/// The charset an HTML document declares in a `<meta charset=…>` or
/// `<meta http-equiv="Content-Type" content="…; charset=…">` near its start,
/// lower-cased. Used when the MIME header declares none. A declared UTF-16
/// is taken as UTF-8, as browsers do for a document read as bytes.
pub fn meta_charset(html: &[u8]) -> Option<String> {
    let head = &html[..html.len().min(META_PRESCAN)];
    let mut from = 0;
    while let Some(i) = find_ascii_ci(&head[from..], b"<meta") {
        let tag_start = from + i + 5;
        let tag_end = head[tag_start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(head.len(), |e| tag_start + e);
        let tag = &head[tag_start..tag_end];
        if let Some(c) = find_ascii_ci(tag, b"charset") {
            let rest = &tag[c + 7..];
            let rest = rest.trim_ascii_start();
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = rest.trim_ascii_start();
                let rest = rest
                    .strip_prefix(b"\"")
                    .or_else(|| rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let len = rest
                    .iter()
                    .position(|&b| {
                        !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
                    })
                    .unwrap_or(rest.len());
                if (1..=40).contains(&len) {
                    let label = String::from_utf8_lossy(&rest[..len]).to_ascii_lowercase();
                    return Some(if label.starts_with("utf-16") {
                        "utf-8".to_string()
                    } else {
                        label
                    });
                }
            }
        }
        from = tag_end;
    }
    None
}

/// Position of `needle` (lower-case ASCII) in `hay`, ignoring ASCII case.
fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

fn ascii_lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Converts an HTML document to visible text plus link targets.
pub fn html_to_text(html: &str) -> HtmlText {
    let mut out = HtmlText {
        text: String::with_capacity(html.len() / 2),
        links: Vec::new(),
    };
    let bytes = html.as_bytes();
    let mut stack: Vec<(Cow<'_, str>, bool)> = Vec::new();
    let mut hidden = 0usize;
    let mut in_head = false;
    let mut i = 0;
    while i < bytes.len() {
        let Some(off) = memchr::memchr2(b'<', b'&', &bytes[i..]) else {
            if hidden == 0 && !in_head {
                out.text.push_str(&html[i..]);
            }
            break;
        };
        let at = i + off;
        if hidden == 0 && !in_head {
            out.text.push_str(&html[i..at]);
        }
        if bytes[at] == b'&' {
            let (consumed, decoded) = decode_entity(&html[at..]);
            if hidden == 0 && !in_head {
                match decoded {
                    Some(c) => out.text.push(c),
                    None => out.text.push('&'),
                }
            }
            i = at + consumed;
            continue;
        }
        // '<'
        let rest = &html[at..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            i = match comment.find("-->") {
                Some(e) => at + 4 + e + 3,
                None => bytes.len(),
            };
            continue;
        }
        let next = rest.as_bytes().get(1).copied().unwrap_or(b' ');
        if next == b'!' || next == b'?' {
            i = match memchr::memchr(b'>', &bytes[at..]) {
                Some(e) => at + e + 1,
                None => bytes.len(),
            };
            separate(&mut out.text);
            continue;
        }
        let is_tag = next.is_ascii_alphabetic()
            || (next == b'/' && rest.as_bytes().get(2).is_some_and(u8::is_ascii_alphabetic));
        if !is_tag {
            if hidden == 0 && !in_head {
                out.text.push('<');
            }
            i = at + 1;
            continue;
        }
        let (len, tag) = parse_tag(rest);
        i = at + len;
        separate(&mut out.text);
        let name: &str = &tag.name;
        if tag.end {
            if name == "head" {
                in_head = false;
            }
            if let Some(pos) = stack.iter().rposition(|(n, _)| n == name) {
                for (_, h) in stack.drain(pos..) {
                    if h {
                        hidden -= 1;
                    }
                }
            }
            continue;
        }
        match name {
            "head" => in_head = true,
            "body" => in_head = false,
            _ => {}
        }
        let mut is_hidden = false;
        for (k, v) in &tag.attrs {
            match k.as_ref() {
                "href" | "src" | "action" | "background" => {
                    let v = v.trim();
                    if looks_like_url(v) {
                        out.links.push(v.to_string());
                    }
                }
                "alt" if name == "img" && hidden == 0 && !in_head => {
                    out.text.push_str(v);
                    separate(&mut out.text);
                }
                "style" => is_hidden |= style_hides(v),
                "hidden" => is_hidden = true,
                _ => {}
            }
        }
        if SKIP_CONTENT.contains(&name) && !tag.self_closing {
            i = skip_to_end_tag(html, i, name);
            continue;
        }
        if VOID.contains(&name) || tag.self_closing {
            continue;
        }
        if SELF_CLOSING_SIBLINGS.contains(&name)
            && let Some((top, h)) = stack.last()
            && top == name
        {
            if *h {
                hidden -= 1;
            }
            stack.pop();
        }
        if stack.len() < MAX_STACK {
            if is_hidden {
                hidden += 1;
            }
            stack.push((tag.name, is_hidden));
        }
    }
    out
}

fn separate(text: &mut String) {
    if !text.ends_with(|c: char| c.is_whitespace()) && !text.is_empty() {
        text.push(' ');
    }
}

fn looks_like_url(v: &str) -> bool {
    let l = v.get(..12).unwrap_or(v).to_ascii_lowercase();
    l.starts_with("http://")
        || l.starts_with("https://")
        || l.starts_with("ftp://")
        || l.starts_with("www.")
        || l.starts_with("mailto:")
        || l.starts_with("//")
}

/// Does a `style` attribute hide its element?
fn style_hides(style: &str) -> bool {
    let s: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    if s.contains("display:none") || s.contains("visibility:hidden") {
        return true;
    }
    let mut from = 0;
    while let Some(p) = s[from..].find("font-size:") {
        let v = &s[from + p + 10..];
        let digits: String = v
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        if let Ok(size) = digits.parse::<f32>() {
            let unit = &v[digits.len()..];
            let tiny = if unit.starts_with("px") || unit.starts_with("pt") {
                size < 2.0
            } else {
                size == 0.0
            };
            if tiny {
                return true;
            }
        }
        from += p + 10;
    }
    false
}

/// Skips to just after `</name ...>`, case-insensitively; to the end if the
/// element is never closed.
fn skip_to_end_tag(html: &str, from: usize, name: &str) -> usize {
    let bytes = html.as_bytes();
    let mut i = from;
    while let Some(off) = memchr::memmem::find(&bytes[i..], b"</") {
        let at = i + off + 2;
        let candidate = &bytes[at..];
        if candidate.len() >= name.len()
            && candidate[..name.len()].eq_ignore_ascii_case(name.as_bytes())
            && !candidate
                .get(name.len())
                .is_some_and(u8::is_ascii_alphanumeric)
        {
            return match memchr::memchr(b'>', &bytes[at..]) {
                Some(e) => at + e + 1,
                None => bytes.len(),
            };
        }
        i = at;
    }
    bytes.len()
}

/// Parses a tag starting at `<`; returns its length (through `>`) and the tag.
fn parse_tag(s: &str) -> (usize, Tag<'_>) {
    let b = s.as_bytes();
    let mut i = 1;
    let end = b.get(1) == Some(&b'/');
    if end {
        i += 1;
    }
    let name_start = i;
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
        i += 1;
    }
    let raw_name = &s[name_start..i];
    let name = match raw_name.get(..32) {
        None if raw_name.is_ascii() => ascii_lower(raw_name),
        _ => Cow::Owned(
            raw_name
                .chars()
                .take(32)
                .flat_map(char::to_lowercase)
                .collect(),
        ),
    };
    let mut tag = Tag {
        name,
        end,
        self_closing: false,
        attrs: Vec::new(),
    };
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            if b[i] == b'/' && b.get(i + 1) == Some(&b'>') {
                tag.self_closing = true;
            }
            i += 1;
        }
        if i >= b.len() {
            return (b.len(), tag);
        }
        if b[i] == b'>' {
            return (i + 1, tag);
        }
        let k_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'>' {
            i += 1;
        }
        let key = ascii_lower(&s[k_start..i]);
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = Cow::Borrowed("");
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let (v_start, v_end) = match b.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let start = i + 1;
                    let e = memchr::memchr(q, &b[start..]).map_or(b.len(), |e| start + e);
                    i = (e + 1).min(b.len());
                    (start, e)
                }
                _ => {
                    let start = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                    (start, i)
                }
            };
            value = decode_entities(&s[v_start..v_end]);
        }
        if tag.attrs.len() < 32 && !key.is_empty() {
            tag.attrs.push((key, value));
        }
    }
}

/// Decodes the entities of an attribute value.
pub fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('&') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(off) = s[i..].find('&') {
        out.push_str(&s[i..i + off]);
        let (consumed, c) = decode_entity(&s[i + off..]);
        match c {
            Some(c) => out.push(c),
            None => out.push('&'),
        }
        i += off + consumed;
    }
    out.push_str(&s[i..]);
    std::borrow::Cow::Owned(out)
}

/// Decodes one entity at the start of `s` (which starts with `&`). Returns the
/// bytes consumed (1 when it is not an entity) and the character.
fn decode_entity(s: &str) -> (usize, Option<char>) {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let (hex, start) = match b.get(2) {
            Some(b'x') | Some(b'X') => (true, 3),
            _ => (false, 2),
        };
        let mut j = start;
        while j < b.len()
            && j < start + 8
            && (if hex {
                b[j].is_ascii_hexdigit()
            } else {
                b[j].is_ascii_digit()
            })
        {
            j += 1;
        }
        if j == start {
            return (1, None);
        }
        let n = u32::from_str_radix(&s[start..j], if hex { 16 } else { 10 }).unwrap_or(0xfffd);
        let c = match n {
            0 => '\u{fffd}',
            // Windows-1252 C1 range, as browsers do.
            0x80..=0x9f => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&[n as u8])
                .0
                .chars()
                .next()
                .unwrap_or('\u{fffd}'),
            n => char::from_u32(n).unwrap_or('\u{fffd}'),
        };
        if b.get(j) == Some(&b';') {
            j += 1;
        }
        return (j, Some(c));
    }
    let mut j = 1;
    while j < b.len() && j < 12 && b[j].is_ascii_alphanumeric() {
        j += 1;
    }
    if j == 1 {
        return (1, None);
    }
    let name = &s[1..j];
    match named_entity(name) {
        Some(c) => {
            if b.get(j) == Some(&b';') {
                j += 1;
            }
            (j, Some(c))
        }
        None => (1, None),
    }
}

/// The Latin-1 block's entity names, in code point order from U+00A0.
const LATIN1: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

/// Other named entities seen in mail.
const OTHER: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("ndash", '–'),
    ("mdash", '—'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("sbquo", '‚'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("bdquo", '„'),
    ("bull", '•'),
    ("hellip", '…'),
    ("trade", '™'),
    ("euro", '€'),
    ("dagger", '†'),
    ("Dagger", '‡'),
    ("permil", '‰'),
    ("lsaquo", '‹'),
    ("rsaquo", '›'),
    ("prime", '′'),
    ("Prime", '″'),
    ("oline", '‾'),
    ("larr", '←'),
    ("uarr", '↑'),
    ("rarr", '→'),
    ("darr", '↓'),
    ("harr", '↔'),
    ("hearts", '♥'),
    ("spades", '♠'),
    ("clubs", '♣'),
    ("diams", '♦'),
    ("infin", '∞'),
    ("ne", '≠'),
    ("le", '≤'),
    ("ge", '≥'),
    ("minus", '−'),
    ("asymp", '≈'),
    ("sum", '∑'),
    ("ensp", '\u{2002}'),
    ("emsp", '\u{2003}'),
    ("thinsp", '\u{2009}'),
    ("zwnj", '\u{200c}'),
    ("zwj", '\u{200d}'),
    ("lrm", '\u{200e}'),
    ("rlm", '\u{200f}'),
    ("OElig", 'Œ'),
    ("oelig", 'œ'),
    ("Scaron", 'Š'),
    ("scaron", 'š'),
    ("Yuml", 'Ÿ'),
    ("fnof", 'ƒ'),
    ("circ", 'ˆ'),
    ("tilde", '˜'),
    ("alpha", 'α'),
    ("beta", 'β'),
    ("gamma", 'γ'),
    ("delta", 'δ'),
    ("pi", 'π'),
    ("mu", 'μ'),
    ("Omega", 'Ω'),
    ("check", '✓'),
];

fn named_entity(name: &str) -> Option<char> {
    if let Some(i) = LATIN1.iter().position(|&n| n == name) {
        return char::from_u32(0xa0 + i as u32);
    }
    if let Some(&(_, c)) = OTHER.iter().find(|(n, _)| *n == name) {
        return Some(c);
    }
    // Upper-case variants written by sloppy generators (&NBSP;, &AMP;).
    let lower = name.to_ascii_lowercase();
    if lower != name {
        return match lower.as_str() {
            "nbsp" => Some('\u{a0}'),
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "copy" => Some('©'),
            "reg" => Some('®'),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(h: &str) -> Vec<String> {
        html_to_text(h)
            .text
            .split_whitespace()
            .map(String::from)
            .collect()
    }

    #[test]
    fn meta_charset_forms() {
        let m = |h: &str| meta_charset(h.as_bytes());
        assert_eq!(
            m(r#"<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html;charset=koi8-r">"#),
            Some("koi8-r".into())
        );
        assert_eq!(
            m("<meta charset='Shift_JIS'><p>x"),
            Some("shift_jis".into())
        );
        assert_eq!(
            m("<meta name=generator content=x><meta charset = EUC-JP >"),
            Some("euc-jp".into())
        );
        assert_eq!(m("<meta charset=\"UTF-16LE\">"), Some("utf-8".into()));
        // No declaration, one past the prescan, an empty one, a charset
        // word outside a meta tag.
        assert_eq!(m("<p>charset=koi8-r</p>"), None);
        assert_eq!(
            m(&format!("{}<meta charset=koi8-r>", " ".repeat(5000))),
            None
        );
        assert_eq!(m("<meta charset=>"), None);
        assert_eq!(m("<meta charset"), None);
        assert_eq!(m("<meta"), None);
    }

    #[test]
    fn every_tag_separates() {
        assert_eq!(
            words(
                "<div>foo</div><div>bar</div><td>cell1</td><td>cell2</td><li>item</li><h1>Head</h1>text"
            ),
            ["foo", "bar", "cell1", "cell2", "item", "Head", "text"]
        );
    }

    #[test]
    fn skipped_elements_and_comments() {
        let h = "<html><head><title>T1</title><style>p{x}</style><meta x=1>headtext</head>\
                 <body><script>var a='<b>';</script>vi<!-- x -->agra <SCRIPT>x</SCRIPT>ok</body></html>";
        assert_eq!(words(h), ["viagra", "ok"]);
    }

    #[test]
    fn hidden_text_is_dropped() {
        let h = "<p>seen</p><span style=\"display: none\">hidden1 <b>deep</b></span>\
                 <div style='visibility:hidden'>hidden2</div><font style=\"font-size:0px\">hidden3</font>\
                 <p style=\"FONT-SIZE: 0\">hidden4</p><div hidden>hidden5</div><i>after</i>";
        assert_eq!(words(h), ["seen", "after"]);
    }

    #[test]
    fn unclosed_hidden_paragraph_ends_at_next_paragraph() {
        assert_eq!(words("<p style=display:none>gone<p>shown"), ["shown"]);
    }

    #[test]
    fn entities() {
        assert_eq!(
            html_to_text("caf&eacute; &amp; &#x41;&#66;&#150;&nbsp;x &bogus; a&b").text,
            "café & AB–\u{a0}x &bogus; a&b"
        );
    }

    #[test]
    fn links_and_alt() {
        let t = html_to_text(
            "<a href=\"http://evil.example/buy?id=1&amp;x=2\">click</a>\
             <img src='https://img.example.net/x.gif' alt=\"Cheap meds\"><a href=\"#top\">top</a>",
        );
        assert_eq!(
            t.links,
            [
                "http://evil.example/buy?id=1&x=2",
                "https://img.example.net/x.gif"
            ]
        );
        assert_eq!(
            t.text.split_whitespace().collect::<Vec<_>>(),
            ["click", "Cheap", "meds", "top"]
        );
    }

    #[test]
    fn broken_markup_never_panics() {
        for h in [
            "<",
            "<a",
            "<a href=\"x",
            "&#",
            "&#x",
            "&#99999999999;",
            "<!--",
            "<script>",
            "</",
            "<<>>",
            "<a\u{3042}>",
        ] {
            let _ = html_to_text(h);
        }
        assert_eq!(
            words("a < b and c > d"),
            ["a", "<", "b", "and", "c", ">", "d"]
        );
    }
}
