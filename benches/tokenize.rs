//! Tokenizer throughput: parse + decode + tokenize, single thread.
//!
//!     cargo bench --bench tokenize
//!
//! Corpora (paths can be overridden by environment variables):
//! * FUMI_BENCH_MAIL: a directory tree of raw messages
//!   (default ../shared/corpus/spamassassin, the public corpus, 6,046 messages);
//! * FUMI_BENCH_JA: a UTF-8 Japanese text file (default /tmp/fumi-ja.txt;
//!   `contrib/bench/ja-corpus.sh` makes one from Debian's manpages-ja).
//!
//! Prints the median of several runs in MB/s, and for Japanese also the
//! throughput of the bigram fallback.

use std::path::PathBuf;

/// The allocator of the `fumi` binary (src/main.rs), so that the figures are
/// those of the program users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use fumi::mail::{self, Limits};
use fumi::token::{Options, TokenSet, Tokenizer, japanese::Segmenter};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// CPU time of this thread: unlike wall time, it does not count the time
/// other processes on a shared machine take the core away.
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn time_runs(runs: usize, mut f: impl FnMut()) -> Vec<f64> {
    (0..runs)
        .map(|_| {
            let t = thread_cpu();
            f();
            thread_cpu() - t
        })
        .collect()
}

fn read_tree(root: &std::path::Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                for e in rd.flatten() {
                    stack.push(e.path());
                }
            }
        } else if let Ok(b) = std::fs::read(&p) {
            out.push(b);
        }
    }
    out
}

fn main() {
    let limits = Limits::default();
    let mail_dir = std::env::var_os("FUMI_BENCH_MAIL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/spamassassin")
        });
    let messages = read_tree(&mail_dir);
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let tok = Tokenizer::new(Options::default());
    let mut set = TokenSet::new();
    if !messages.is_empty() {
        let runs = time_runs(5, || {
            for m in &messages {
                set.clear();
                let parsed = mail::parse(m, &limits);
                tok.tokenize(&parsed, &mut |c, t| set.insert(c, t));
            }
        });
        let t = median(runs);
        println!(
            "mail corpus: {} messages, {:.1} MB: parse+decode+tokenize {:.1} MB/s, {:.0} msgs/s (median of 5, thread CPU time)",
            messages.len(),
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / t,
            messages.len() as f64 / t
        );
        let runs = time_runs(5, || {
            for m in &messages {
                std::hint::black_box(mail::parse(m, &limits));
            }
        });
        println!(
            "  of which parse+decode alone: {:.1} MB/s",
            bytes as f64 / 1e6 / median(runs)
        );
        let parsed: Vec<_> = messages.iter().map(|m| mail::parse(m, &limits)).collect();
        let runs = time_runs(5, || {
            for p in &parsed {
                set.clear();
                tok.tokenize(p, &mut |c, t| set.insert(c, t));
            }
        });
        println!(
            "  tokenizing the parsed messages alone: {:.1} MB/s of mail",
            bytes as f64 / 1e6 / median(runs)
        );
        if std::env::var_os("FUMI_BENCH_TOKENIZE_ONLY").is_some() {
            return;
        }
    } else {
        println!("mail corpus: none at {}", mail_dir.display());
    }

    let ja_path = std::env::var_os("FUMI_BENCH_JA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/fumi-ja.txt"));
    match std::fs::read_to_string(&ja_path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            for (name, seg) in [
                ("lindera+IPADIC", Segmenter::builtin()),
                ("bigram", Segmenter::bigram()),
            ] {
                let runs = time_runs(5, || {
                    let mut n = 0usize;
                    for l in &lines {
                        seg.segment(l, &mut |_| n += 1);
                    }
                    std::hint::black_box(n);
                });
                println!(
                    "japanese text {:.1} MB, segmentation only ({name}): {:.1} MB/s",
                    text.len() as f64 / 1e6,
                    text.len() as f64 / 1e6 / median(runs)
                );
            }
            // The same text as mail: UTF-8 messages of about 4 KB, end to end.
            let msgs: Vec<Vec<u8>> = text
                .as_bytes()
                .chunks(4096)
                .map(|c| {
                    let mut m = b"From: a@example.jp\nSubject: test\nContent-Type: text/plain; charset=utf-8\n\n".to_vec();
                    m.extend_from_slice(&String::from_utf8_lossy(c).into_owned().into_bytes());
                    m
                })
                .collect();
            let mbytes: usize = msgs.iter().map(Vec::len).sum();
            let runs = time_runs(5, || {
                for m in &msgs {
                    set.clear();
                    let parsed = mail::parse(m, &limits);
                    tok.tokenize(&parsed, &mut |c, t| set.insert(c, t));
                }
            });
            println!(
                "japanese mail (4 KB UTF-8 messages): parse+decode+tokenize {:.1} MB/s",
                mbytes as f64 / 1e6 / median(runs)
            );
        }
        Err(_) => println!(
            "japanese text: none at {} (run contrib/bench/ja-corpus.sh)",
            ja_path.display()
        ),
    }

    // A pathological 100 MB message: one text part of repeated words.
    let mut big = b"From: a@example.com\nSubject: big\nContent-Type: text/plain\n\n".to_vec();
    while big.len() < 100 << 20 {
        big.extend_from_slice(b"lorem ipsum dolor sit amet consectetur adipiscing elit\n");
    }
    let runs = time_runs(3, || {
        set.clear();
        let parsed = mail::parse(&big[..big.len().min(2 << 20)], &limits);
        tok.tokenize(&parsed, &mut |c, t| set.insert(c, t));
    });
    println!(
        "100 MB message (first 2 MiB read, as the CLI does): {:.3} s",
        median(runs)
    );
}
