//! Pathological messages for the reliability checks (README, "Reliability").
//!
//! `cargo run --release --example hostile -- DIR [SCALE]` writes one file per
//! case into DIR. SCALE 1 (the default) gives the sizes the README table
//! reports (a 100 MB message, a million lines, 10,000 parts, 1,000-deep
//! nesting …); tests/reliability.rs uses the same generators at a smaller
//! scale. Every generator is deterministic.

#![allow(dead_code)]

/// One case: a file name and its bytes.
pub struct Case {
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

const HEAD: &str = "From: sender@example.com\nTo: rcpt@example.org\nSubject: test\nMessage-ID: <hostile@example.com>\n";

/// A small deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn fill(&mut self, out: &mut Vec<u8>, n: usize) {
        let target = out.len() + n;
        out.reserve(n);
        while out.len() + 8 <= target {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        while out.len() < target {
            out.push(self.next_u64() as u8);
        }
    }
}

/// A message of about `bytes` bytes of ordinary text lines.
pub fn big(bytes: usize) -> Vec<u8> {
    let mut m = format!("{HEAD}\n").into_bytes();
    let words = [
        "free", "money", "meeting", "tomorrow", "click", "here", "report", "the", "of", "offer",
    ];
    let mut rng = Rng::new(1);
    let mut line = 0;
    while m.len() < bytes {
        for _ in 0..10 {
            m.extend_from_slice(words[rng.below(words.len())].as_bytes());
            m.push(b' ');
        }
        m.extend_from_slice(format!("{line}\n").as_bytes());
        line += 1;
    }
    m
}

/// `n` lines of a few characters each.
pub fn many_lines(n: usize) -> Vec<u8> {
    let mut m = format!("{HEAD}\n").into_bytes();
    for i in 0..n {
        m.extend_from_slice(format!("l{}\n", i % 1000).as_bytes());
    }
    m
}

/// A multipart/mixed message with `n` text parts.
pub fn many_parts(n: usize) -> Vec<u8> {
    let mut m = format!(
        "{HEAD}MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\npreamble\n"
    )
    .into_bytes();
    for i in 0..n {
        m.extend_from_slice(
            format!("--b\nContent-Type: text/plain; charset=us-ascii\n\npart {i} words here\n")
                .as_bytes(),
        );
    }
    m.extend_from_slice(b"--b--\n");
    m
}

/// Multipart inside multipart, `depth` levels deep.
pub fn nested_multipart(depth: usize) -> Vec<u8> {
    let mut m = format!("{HEAD}MIME-Version: 1.0\n").into_bytes();
    for i in 0..depth {
        m.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=\"n{i}\"\n\n--n{i}\n").as_bytes(),
        );
    }
    m.extend_from_slice(b"Content-Type: text/plain\n\ninnermost text\n");
    for i in (0..depth).rev() {
        m.extend_from_slice(format!("--n{i}--\n").as_bytes());
    }
    m
}

/// message/rfc822 inside message/rfc822, `depth` levels deep.
pub fn nested_rfc822(depth: usize) -> Vec<u8> {
    let mut m = Vec::new();
    for i in 0..depth {
        m.extend_from_slice(
            format!(
                "From: level{i}@example.com\nSubject: level {i}\nContent-Type: message/rfc822\n\n"
            )
            .as_bytes(),
        );
    }
    m.extend_from_slice(b"From: inner@example.com\nSubject: inner\n\ninnermost text\n");
    m
}

/// One "word" of `n` letters.
pub fn long_word(n: usize) -> Vec<u8> {
    let mut m = format!("{HEAD}\n").into_bytes();
    m.extend(std::iter::repeat_n(b'a', n));
    m.push(b'\n');
    m
}

/// `n` random bytes, no header block.
pub fn garbage(n: usize) -> Vec<u8> {
    let mut m = Vec::new();
    Rng::new(7).fill(&mut m, n);
    m
}

/// A header block, then `n` random bytes declared as ISO-2022-JP text.
pub fn garbage_body(n: usize) -> Vec<u8> {
    let mut m = format!("{HEAD}Content-Type: text/plain; charset=iso-2022-jp\n\n").into_bytes();
    Rng::new(11).fill(&mut m, n);
    m
}

/// A run of `n` katakana characters in the Subject and the body (bsfilter
/// crashed on ≈500).
pub fn katakana(n: usize) -> Vec<u8> {
    let run: String = (0..n)
        .map(|i| char::from_u32(0x30a2 + (i % 80) as u32).unwrap_or('ア'))
        .collect();
    format!(
        "From: sender@example.com\nSubject: {run}\nContent-Type: text/plain; charset=utf-8\n\n{run}\n"
    )
    .into_bytes()
}

/// A Subject of `n` random kanji (segmenting it whole took 1.9 s before
/// header fields were capped).
pub fn kanji_subject(n: usize) -> Vec<u8> {
    let mut rng = Rng::new(5);
    let run: String = (0..n)
        .map(|_| char::from_u32(0x4e00 + rng.below(0x5200) as u32).unwrap_or('漢'))
        .collect();
    format!("From: sender@example.com\nSubject: {run}\n\nbody\n").into_bytes()
}

/// A header line of `n` bytes that never ends.
pub fn endless_header(n: usize) -> Vec<u8> {
    let mut m = b"From: sender@example.com\nX-Endless: ".to_vec();
    let mut i = 0usize;
    while m.len() < n {
        m.extend_from_slice(format!("v{} ", i % 100).as_bytes());
        i += 1;
    }
    m
}

/// A base64 part of `n` bytes that are all padding, and another that is
/// valid base64 of `n` bytes decoding to text with nothing but '='.
pub fn base64_bomb(n: usize) -> Vec<u8> {
    let mut m = format!(
        "{HEAD}MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"z\"\n\n--z\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
    )
    .into_bytes();
    let line = [b'='; 76];
    let mut written = 0;
    while written < n / 2 {
        m.extend_from_slice(&line);
        m.push(b'\n');
        written += 77;
    }
    m.extend_from_slice(b"--z\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n\n");
    // "PT09" is base64 for "===".
    written = 0;
    while written < n / 2 {
        for _ in 0..19 {
            m.extend_from_slice(b"PT09");
        }
        m.push(b'\n');
        written += 77;
    }
    m.extend_from_slice(b"--z--\n");
    m
}

/// Every case at a scale: 1.0 gives the sizes of the issue.
pub fn cases(scale: f64) -> Vec<Case> {
    let s = |n: usize| ((n as f64 * scale) as usize).max(1);
    vec![
        Case {
            name: "big-message",
            bytes: big(s(100 << 20)),
        },
        Case {
            name: "million-lines",
            bytes: many_lines(s(1_000_000)),
        },
        Case {
            name: "mime-parts",
            bytes: many_parts(s(10_000)),
        },
        Case {
            name: "nested-multipart",
            bytes: nested_multipart(s(1000)),
        },
        Case {
            name: "nested-rfc822",
            bytes: nested_rfc822(s(1000)),
        },
        Case {
            name: "long-word",
            bytes: long_word(s(1 << 20)),
        },
        Case {
            name: "binary-garbage",
            bytes: garbage(s(10 << 20)),
        },
        Case {
            name: "binary-body",
            bytes: garbage_body(s(10 << 20)),
        },
        Case {
            name: "katakana-run",
            bytes: katakana(s(10_000)),
        },
        Case {
            name: "kanji-subject",
            bytes: kanji_subject(s(650_000)),
        },
        Case {
            name: "endless-header",
            bytes: endless_header(s(50 << 20)),
        },
        Case {
            name: "base64-padding",
            bytes: base64_bomb(s(50 << 20)),
        },
    ]
}

#[path = "../tests/common/pipe_property.rs"]
mod property;

/// `hostile check INPUT OUTPUT`: is OUTPUT (of `fumi --pipe --insert-flag
/// --insert-probability`) INPUT plus fumi's header lines, byte for byte?
fn check(input: &str, output: &str) -> std::io::Result<()> {
    let (input, out) = (std::fs::read(input)?, std::fs::read(output)?);
    let block = memchr::memmem::find_iter(&out, b"X-Spam-Flag: ")
        .find(|&i| i == 0 || out[i - 1] == b'\n')
        .and_then(|start| {
            let p = start + memchr::memmem::find(&out[start..], b"X-Spam-Probability: ")?;
            let end = p + memchr::memchr(b'\n', &out[p..])? + 1;
            Some(out[start..end].to_vec())
        });
    let verdict = match block {
        None if out == input => "unchanged".to_string(),
        None => "DAMAGED (no headers, not the input)".to_string(),
        Some(b) => match property::check(&input, &out, &b) {
            Ok(_) => "intact".to_string(),
            Err(e) => format!("DAMAGED: {}", e.lines().next().unwrap_or("")),
        },
    };
    println!("{verdict}");
    Ok(())
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: hostile DIR [SCALE] | hostile check INPUT OUTPUT");
        std::process::exit(2);
    };
    if dir == "check" {
        let (Some(i), Some(o)) = (args.next(), args.next()) else {
            std::process::exit(2);
        };
        return check(&i, &o);
    }
    let scale: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    std::fs::create_dir_all(&dir)?;
    for c in cases(scale) {
        std::fs::write(std::path::Path::new(&dir).join(c.name), &c.bytes)?;
        println!("{}\t{}", c.name, c.bytes.len());
    }
    Ok(())
}
