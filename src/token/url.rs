//! URL, host and e-mail address tokens.

use super::text::Ctx;
use super::{Category, MAX_WORD_CHARS, Sink, with_ascii_lowercase, with_joined};

const MAX_HOST: usize = 80;
const MAX_PATH_WORDS: usize = 8;

/// Second-level labels under which registrations happen one level deeper
/// (`example.co.jp`, `example.com.au`).
const SECOND_LEVEL: &[&str] = &[
    "co", "ne", "or", "ac", "go", "ed", "gr", "lg", "ad", "com", "net", "org", "gov", "edu", "ltd",
    "plc", "gen", "biz", "info",
];

/// Tokens of one URL: scheme, host and its parent domains, user-info and port
/// markers, and words of the path and query.
pub(crate) fn url_tokens(url: &str, ctx: &mut Ctx<'_, '_>) {
    let sink = &mut ctx.sink;
    let lower = url.to_ascii_lowercase();
    if let Some(addr) = lower.strip_prefix("mailto:") {
        let addr = addr.split(['?', '&']).next().unwrap_or("");
        email_tokens(addr, Category::Email, ctx);
        return;
    }
    let (scheme, rest) = match lower.split_once("://") {
        Some((s, r)) => (s, r),
        None => match lower.strip_prefix("//") {
            Some(r) => ("", r),
            None => ("", lower.as_str()),
        },
    };
    if !scheme.is_empty() && scheme.len() <= 8 {
        with_joined(scheme, ":", |t| sink.emit(Category::Url, t));
    }
    let auth_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(auth_end);
    let host_port = match authority.rsplit_once('@') {
        Some((_, h)) => {
            sink.emit(Category::Url, "userinfo");
            h
        }
        None => authority,
    };
    let host = match host_port.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !port.is_empty() => {
            if port != "80" && port != "443" {
                sink.emit(Category::Url, "port");
            }
            h
        }
        _ => host_port,
    };
    // Browsers undo %XX escapes: `%77%77%77.example.com` is www.example.com
    // and `Golden%20Stream` two words. Escapes in a host are rare in honest
    // mail, so they are a token of their own.
    let host = match percent_decoded(host) {
        Some(h) => {
            sink.emit(Category::Url, "escaped-host");
            std::borrow::Cow::Owned(h)
        }
        None => std::borrow::Cow::Borrowed(host),
    };
    host_tokens(host.trim_end_matches('.'), Category::Url, sink);
    let path = percent_decoded(path).map_or(std::borrow::Cow::Borrowed(path), |p| p.into());
    let mut n = 0;
    for w in path.split(|c: char| !c.is_ascii_alphanumeric()) {
        if w.len() < 2 || w.len() > MAX_WORD_CHARS {
            continue;
        }
        // Long numbers and hex ids are per-message noise.
        let digits = w.bytes().filter(u8::is_ascii_digit).count();
        if digits > 4 && digits * 2 > w.len() {
            continue;
        }
        sink.emit(Category::Url, w);
        n += 1;
        if n == MAX_PATH_WORDS {
            break;
        }
    }
    if url.len() > 200 {
        sink.emit(Category::Url, "long-url");
    }
}

/// `s` with its `%XX` escapes decoded and ASCII lower-cased, or `None` when
/// it has none. Bytes that do not form UTF-8 become U+FFFD (a separator).
fn percent_decoded(s: &str) -> Option<String> {
    memchr::memchr(b'%', s.as_bytes())?;
    let decoded = crate::mail::transfer::percent_decode(s.as_bytes());
    (decoded != s.as_bytes()).then(|| String::from_utf8_lossy(&decoded).to_ascii_lowercase())
}

/// Is `s` a dotted-quad IPv4 address? Four dot-separated numbers of one
/// to three digits, each at most 255.
pub(crate) fn is_ipv4(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 7 || b.len() > 15 || !b[0].is_ascii_digit() {
        return false;
    }
    // Byte-wise: the numbers seen, and the digits and value of this one.
    let (mut parts, mut digits, mut value) = (0, 0, 0u32);
    for &c in b.iter().chain(std::iter::once(&b'.')) {
        if c == b'.' {
            if digits == 0 || value > 255 {
                return false;
            }
            parts += 1;
            (digits, value) = (0, 0);
        } else if c.is_ascii_digit() && digits < 3 {
            digits += 1;
            value = value * 10 + u32::from(c - b'0');
        } else {
            return false;
        }
    }
    parts == 4
}

/// An IPv4 address and its /24 network.
pub(crate) fn ip_tokens(ip: &str, sink: &mut Sink<'_>) {
    sink.emit(Category::Ip, ip);
    if let Some((net, _)) = ip.rsplit_once('.') {
        with_joined(net, ".0/24", |t| sink.emit(Category::Ip, t));
    }
}

/// A host name and its parent domains down to the registrable one
/// (`a.b.example.co.jp` → itself, `b.example.co.jp`, `example.co.jp`), plus
/// the top-level domain as `.jp`. IP addresses become `ip` tokens.
pub(crate) fn host_tokens(host: &str, cat: Category, sink: &mut Sink<'_>) {
    if host.is_empty() {
        return;
    }
    if is_ipv4(host) {
        sink.emit(cat, "ip-host");
        ip_tokens(host, sink);
        return;
    }
    if host.len() > MAX_HOST || !host.as_bytes().contains(&b'.') {
        if host.len() <= MAX_HOST && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            sink.emit(cat, host);
        }
        return;
    }
    // The host has a dot: `.tld` is its tail from the last dot on. Dots
    // are found byte-wise (host names are short; a searcher costs more to
    // set up than they take to scan).
    let bytes = host.as_bytes();
    let Some(last_dot) = bytes.iter().rposition(|&b| b == b'.') else {
        return;
    };
    let (rest, dot_tld) = host.split_at(last_dot);
    let tld = &dot_tld[1..];
    let second = &rest[rest.bytes().rposition(|b| b == b'.').map_or(0, |d| d + 1)..];
    let n = bytes.iter().filter(|&&b| b == b'.').count() + 1;
    let min = if n >= 3 && tld.len() == 2 && SECOND_LEVEL.contains(&second) {
        3
    } else {
        2
    };
    // Each label's start, from the first; the host from there on is a
    // token while enough labels remain.
    let mut start = 0;
    for i in 0..n {
        if n - i < min {
            break;
        }
        if n - i <= 6 {
            sink.emit(cat, &host[start..]);
        }
        match bytes[start..].iter().position(|&b| b == b'.') {
            Some(d) => start += d + 1,
            None => break,
        }
    }
    if !tld.is_empty() && tld.len() <= 10 {
        sink.emit(cat, dot_tld);
    }
}

/// An address (lower-cased) and its domain as `@domain` with parents.
pub(crate) fn email_tokens(addr: &str, cat: Category, ctx: &mut Ctx<'_, '_>) {
    let addr = addr.trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace());
    // Lower-cased without an allocation when short (most addresses).
    with_ascii_lowercase(addr, |lower| {
        let Some((local, domain)) = lower.rsplit_once('@') else {
            return;
        };
        if lower.len() <= 64 && !local.is_empty() {
            ctx.sink.emit(cat, lower);
        }
        let sink = &mut ctx.sink;
        host_tokens(
            domain.trim_end_matches('.'),
            cat,
            &mut Sink(&mut |c, t| {
                if c == cat {
                    with_joined("@", t, |at| sink.emit(c, at));
                } else {
                    sink.emit(c, t);
                }
            }),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{Options, japanese::Segmenter};

    fn collect(f: impl FnOnce(&mut Ctx<'_, '_>)) -> Vec<String> {
        let opts = Options::default();
        let seg = Segmenter::bigram();
        let mut out = Vec::new();
        let mut sink = |c: Category, t: &str| out.push(format!("{}\t{t}", c.name()));
        let mut ctx = Ctx {
            opts: &opts,
            segmenter: &seg,
            japanese: false,
            sink: Sink(&mut sink),
        };
        f(&mut ctx);
        out
    }

    #[test]
    fn url_parts() {
        let t = collect(|c| {
            url_tokens(
                "HTTP://user@Www.Shop.Example.co.jp:8080/Buy/Now.php?id=123456789&ref=mail",
                c,
            )
        });
        assert_eq!(
            t,
            [
                "url\thttp:",
                "url\tuserinfo",
                "url\tport",
                "url\twww.shop.example.co.jp",
                "url\tshop.example.co.jp",
                "url\texample.co.jp",
                "url\t.jp",
                "url\tbuy",
                "url\tnow",
                "url\tphp",
                "url\tid",
                "url\tref",
                "url\tmail"
            ]
        );
    }

    #[test]
    fn escapes_are_decoded() {
        let t = collect(|c| url_tokens("http://%77%77%77.Example.com/Golden%20Stream.htm%", c));
        assert_eq!(
            t,
            [
                "url\thttp:",
                "url\tescaped-host",
                "url\twww.example.com",
                "url\texample.com",
                "url\t.com",
                "url\tgolden",
                "url\tstream",
                "url\thtm"
            ]
        );
        // Broken escapes stay as they are; invalid UTF-8 separates words.
        let t = collect(|c| url_tokens("http://example.com/a%zzbc/%ff%fenext", c));
        assert_eq!(
            t,
            [
                "url\thttp:",
                "url\texample.com",
                "url\t.com",
                "url\tzzbc",
                "url\tnext"
            ]
        );
        assert_eq!(percent_decoded("plain"), None);
    }

    #[test]
    fn ip_url_and_www() {
        let t = collect(|c| url_tokens("http://192.0.2.7/x", c));
        assert_eq!(
            t,
            [
                "url\thttp:",
                "url\tip-host",
                "ip\t192.0.2.7",
                "ip\t192.0.2.0/24"
            ]
        );
        let t = collect(|c| url_tokens("www.example.com", c));
        assert_eq!(t, ["url\twww.example.com", "url\texample.com", "url\t.com"]);
    }

    #[test]
    fn addresses() {
        let t = collect(|c| email_tokens("<Bob@Mail.Example.COM>", Category::From, c));
        assert_eq!(
            t,
            [
                "from\tbob@mail.example.com",
                "from\t@mail.example.com",
                "from\t@example.com",
                "from\t@.com"
            ]
        );
        assert!(is_ipv4("10.0.0.255") && !is_ipv4("10.0.0.256") && !is_ipv4("1.2.3"));
    }

    /// The byte-wise IPv4 test says what splitting at dots and parsing
    /// the numbers says.
    #[test]
    fn ipv4_as_parsed() {
        let by_parsing = |s: &str| {
            s.len() >= 7
                && s.len() <= 15
                && s.as_bytes()[0].is_ascii_digit()
                && s.split('.').count() == 4
                && s.split('.').all(|p| {
                    !p.is_empty()
                        && p.len() <= 3
                        && p.bytes().all(|b| b.is_ascii_digit())
                        && p.parse::<u16>().is_ok_and(|v| v <= 255)
                })
        };
        for s in crate::testing::random_ascii(b"0129.5.a", 0x2545f4914f6cdd1d, 200_000, 17) {
            assert_eq!(is_ipv4(&s), by_parsing(&s), "{s:?}");
        }
        for s in [
            "255.255.255.255",
            "256.1.1.1",
            "01.002.3.4",
            "1.2.3.4.",
            "1..2.3",
            "１.2.3.4",
        ] {
            assert_eq!(is_ipv4(s), by_parsing(s), "{s:?}");
        }
    }
}
