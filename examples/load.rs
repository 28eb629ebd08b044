//! Load and concurrency check (README, "Reliability"): concurrent
//! deliveries (`--auto-update --pipe`), a bulk `--add-spam` and a `--scan`,
//! all at once on one home; then every output and count is verified.
//!
//! `cargo run --release --example load -- FUMI HOME CORPUS [DELIVERIES BULK SCAN]`
//! (contrib/bench/load.sh runs it on the SpamAssassin corpus). HOME is
//! trained first on a quarter of CORPUS/{spam,ham}; the deliveries, the
//! bulk training and the scan use messages that were not trained, and the
//! deliveries and the bulk training use different messages, so that the
//! final counts are known exactly: the trained ones, plus the bulk, plus
//! each delivery whose X-Spam-Probability is above --auto-spam-above
//! (spam) or below --auto-clean-below (clean). tests/reliability.rs runs
//! the same check at a smaller size on the corpus sample.

#![allow(dead_code)]

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../tests/common/pipe_property.rs"]
pub mod property;

/// What one load run measured.
#[derive(Debug, Default)]
pub struct Report {
    pub deliveries: usize,
    pub bulk: usize,
    pub scanned: usize,
    pub learned_spam: u64,
    pub learned_clean: u64,
    pub wall: Duration,
    pub bulk_time: Duration,
    pub scan_time: Duration,
    /// Sorted delivery latencies.
    pub latencies: Vec<Duration>,
}

impl Report {
    pub fn latency(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        self.latencies[i]
    }

    pub fn print(&self) {
        let total = self.deliveries + self.bulk + self.scanned;
        println!(
            "{} deliveries, bulk --add-spam of {}, --scan of {}: {} messages in {:.2} s ({:.0} messages/s)",
            self.deliveries,
            self.bulk,
            self.scanned,
            total,
            self.wall.as_secs_f64(),
            total as f64 / self.wall.as_secs_f64()
        );
        println!(
            "bulk --add-spam {:.2} s, --scan {:.2} s",
            self.bulk_time.as_secs_f64(),
            self.scan_time.as_secs_f64()
        );
        println!(
            "delivery latency: median {:.0} ms, p95 {:.0} ms, worst {:.0} ms",
            self.latency(0.5).as_secs_f64() * 1e3,
            self.latency(0.95).as_secs_f64() * 1e3,
            self.latency(1.0).as_secs_f64() * 1e3
        );
        println!(
            "learned by the deliveries: {} spam, {} clean; all counts exact",
            self.learned_spam, self.learned_clean
        );
    }
}

/// Sorted files of a directory.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.is_file());
    v.sort();
    v
}

/// Messages whose training digests are all different (a corpus may hold
/// the same message twice; training it twice counts once).
pub fn distinct(paths: Vec<PathBuf>) -> Vec<(PathBuf, Vec<u8>)> {
    let engine = fumi::cli::engine(&fumi::cli::args::Args {
        header_prefix: "Spam".into(),
        method: "rf".into(),
        max_message_size: 2 << 20,
        max_part_size: 64 << 10,
        ..Default::default()
    });
    let mut seen = HashSet::new();
    paths
        .into_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            seen.insert(engine.digest(&bytes)).then_some((p, bytes))
        })
        .collect()
}

fn status(fumi: &Path, home: &Path) -> Result<(u64, u64), String> {
    let out = Command::new(fumi)
        .arg("--homedir")
        .arg(home)
        .arg("--show-db-status")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let get = |k: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(k)?.strip_prefix('\t')?.parse().ok())
            .unwrap_or(u64::MAX)
    };
    Ok((get("spam_messages"), get("clean_messages")))
}

/// The probability fumi wrote, if the output has our header.
fn probability(out: &[u8]) -> Option<f64> {
    let i = memchr::memmem::find(out, b"\nX-Spam-Probability: ")?;
    let v = &out[i + 21..];
    let end = v.iter().position(|&b| b == b'\n' || b == b'\r')?;
    std::str::from_utf8(&v[..end]).ok()?.parse().ok()
}

/// Trains `home` on `train_spam`/`train_clean`, then runs the load and
/// checks it. Thresholds as --auto-spam-above / --auto-clean-below.
pub fn run(
    fumi: &Path,
    home: &Path,
    (train_spam, train_clean): (&[PathBuf], &[PathBuf]),
    deliveries: Vec<(PathBuf, Vec<u8>)>,
    bulk: &[PathBuf],
    scan: &[PathBuf],
    (above, below): (f64, f64),
) -> Result<Report, String> {
    for (flag, set) in [("--add-spam", train_spam), ("--add-clean", train_clean)] {
        let st = Command::new(fumi)
            .arg("--homedir")
            .arg(home)
            .arg(flag)
            .args(set)
            .status()
            .map_err(|e| e.to_string())?;
        if !st.success() {
            return Err(format!("training {flag} failed: {st}"));
        }
    }
    let before = status(fumi, home)?;
    let start = Instant::now();
    let bulk_child = Command::new(fumi)
        .arg("--homedir")
        .arg(home)
        .arg("--add-spam")
        .args(bulk)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let scan_child = Command::new(fumi)
        .arg("--homedir")
        .arg(home)
        .arg("--scan")
        .args(scan)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let waiter = |child: std::process::Child| {
        std::thread::spawn(move || {
            let out = child.wait_with_output();
            (out, Instant::now())
        })
    };
    let bulk_wait = waiter(bulk_child);
    let scan_wait = waiter(scan_child);
    let n_deliveries = deliveries.len();
    let handles: Vec<_> = deliveries
        .into_iter()
        .map(|(path, msg)| {
            let fumi = fumi.to_path_buf();
            let home = home.to_path_buf();
            std::thread::spawn(move || -> Result<(Duration, Option<bool>), String> {
                let t0 = Instant::now();
                let mut child = Command::new(&fumi)
                    .arg("--homedir")
                    .arg(&home)
                    .args([
                        "--auto-update",
                        "--pipe",
                        "--insert-flag",
                        "--insert-probability",
                    ])
                    .arg(format!("--auto-spam-above={above}"))
                    .arg(format!("--auto-clean-below={below}"))
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .map_err(|e| e.to_string())?;
                let mut stdin = child.stdin.take().ok_or("stdin")?;
                let input = msg.clone();
                let writer = std::thread::spawn(move || stdin.write_all(&input));
                let out = child.wait_with_output().map_err(|e| e.to_string())?;
                let _ = writer.join();
                let latency = t0.elapsed();
                let name = path.display();
                if out.status.code() != Some(0) {
                    return Err(format!("{name}: exit {}", out.status));
                }
                if !out.stderr.is_empty() {
                    return Err(format!(
                        "{name}: stderr {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
                let p = probability(&out.stdout)
                    .ok_or_else(|| format!("{name}: no X-Spam-Probability"))?;
                let spam = memchr::memmem::find(&out.stdout, b"X-Spam-Flag: Yes").is_some();
                let flag = if spam { "Yes" } else { "No" };
                let pv = format!("{p:.6}");
                // Intact: the output is the input plus our two lines.
                let block = property::block(
                    &[("X-Spam-Flag", flag), ("X-Spam-Probability", &pv)],
                    property::eol_of(&msg),
                );
                property::check(&msg, &out.stdout, &block).map_err(|e| format!("{name}: {e}"))?;
                let learned = if p > above && spam {
                    Some(true)
                } else if p < below && !spam {
                    Some(false)
                } else {
                    None
                };
                Ok((latency, learned))
            })
        })
        .collect();
    let mut report = Report {
        deliveries: n_deliveries,
        bulk: bulk.len(),
        scanned: scan.len(),
        ..Default::default()
    };
    let mut errors = Vec::new();
    for h in handles {
        match h.join() {
            Ok(Ok((lat, learned))) => {
                report.latencies.push(lat);
                match learned {
                    Some(true) => report.learned_spam += 1,
                    Some(false) => report.learned_clean += 1,
                    None => {}
                }
            }
            Ok(Err(e)) => errors.push(e),
            Err(_) => errors.push("a delivery thread panicked".into()),
        }
    }
    let (bulk_out, bulk_end) = bulk_wait.join().map_err(|_| "bulk thread")?;
    let (scan_out, scan_end) = scan_wait.join().map_err(|_| "scan thread")?;
    report.wall = start.elapsed();
    report.bulk_time = bulk_end - start;
    report.scan_time = scan_end - start;
    report.latencies.sort();
    let bulk_out = bulk_out.map_err(|e| e.to_string())?;
    if !bulk_out.status.success() {
        errors.push(format!(
            "bulk --add-spam: {} {}",
            bulk_out.status,
            String::from_utf8_lossy(&bulk_out.stderr)
        ));
    }
    let scan_out = scan_out.map_err(|e| e.to_string())?;
    if !matches!(scan_out.status.code(), Some(0) | Some(1)) || !scan_out.stderr.is_empty() {
        errors.push(format!(
            "--scan: {} {}",
            scan_out.status,
            String::from_utf8_lossy(&scan_out.stderr)
        ));
    }
    let lines: Vec<&str> = std::str::from_utf8(&scan_out.stdout)
        .map_err(|e| e.to_string())?
        .lines()
        .collect();
    if lines.len() != scan.len() {
        errors.push(format!(
            "--scan printed {} lines for {}",
            lines.len(),
            scan.len()
        ));
    }
    for (line, path) in lines.iter().zip(scan) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 3 || f[2] != path.display().to_string() || f[0].parse::<f64>().is_err() {
            errors.push(format!("--scan line {line:?}"));
            break;
        }
    }
    let after = status(fumi, home)?;
    let expected = (
        before.0 + bulk.len() as u64 + report.learned_spam,
        before.1 + report.learned_clean,
    );
    if after != expected {
        errors.push(format!(
            "message counts {after:?}, expected {expected:?} (before {before:?}, bulk {}, learned {} spam {} clean)",
            bulk.len(),
            report.learned_spam,
            report.learned_clean
        ));
    }
    if errors.is_empty() {
        Ok(report)
    } else {
        Err(errors.join("\n"))
    }
}

/// Trained spam, trained clean, deliveries (with their bytes), bulk, scan.
pub type Plan = (
    Vec<PathBuf>,
    Vec<PathBuf>,
    Vec<(PathBuf, Vec<u8>)>,
    Vec<PathBuf>,
    Vec<PathBuf>,
);

/// Splits a corpus: a quarter of each class trained, then deliveries and
/// bulk from the rest (distinct digests), the scan over everything.
pub fn plan(
    corpus: &Path,
    n_deliveries: usize,
    n_bulk: usize,
    n_scan: usize,
) -> Result<Plan, String> {
    let spam = files(&corpus.join("spam"));
    let ham = files(&corpus.join("ham"));
    if spam.is_empty() || ham.is_empty() {
        return Err(format!("no messages in {}/{{spam,ham}}", corpus.display()));
    }
    let train_spam: Vec<PathBuf> = spam.iter().step_by(4).cloned().collect();
    let train_clean: Vec<PathBuf> = ham.iter().step_by(4).cloned().collect();
    let trained: HashSet<&PathBuf> = train_spam.iter().chain(&train_clean).collect();
    // Untrained messages, spam and ham interleaved.
    let mut rest = Vec::new();
    let (mut s, mut h) = (spam.iter(), ham.iter());
    loop {
        let (a, b) = (s.next(), h.next());
        if a.is_none() && b.is_none() {
            break;
        }
        rest.extend(
            a.into_iter()
                .chain(b)
                .filter(|p| !trained.contains(p))
                .cloned(),
        );
    }
    // Digests distinct from each other and from the trained messages.
    let mut all: Vec<PathBuf> = train_spam.iter().chain(&train_clean).cloned().collect();
    all.extend(rest);
    let unique = distinct(all);
    // Messages that carry X-Spam-Flag/-Probability fields of their own
    // (fumi replaces those) are scanned and trained, not delivered, so
    // that every delivery can be checked byte for byte.
    let mut untrained: Vec<(PathBuf, Vec<u8>)> = unique
        .into_iter()
        .filter(|(p, _)| !trained.contains(p))
        .collect();
    untrained.sort_by_key(|(_, m)| property::mentions(m, &["X-Spam-Flag:", "X-Spam-Probability:"]));
    if untrained.len() < n_deliveries + n_bulk {
        return Err(format!(
            "only {} untrained distinct messages for {n_deliveries} deliveries and {n_bulk} bulk",
            untrained.len()
        ));
    }
    let bulk: Vec<PathBuf> = untrained
        .drain(n_deliveries..n_deliveries + n_bulk)
        .map(|(p, _)| p)
        .collect();
    untrained.truncate(n_deliveries);
    if untrained
        .iter()
        .any(|(_, m)| property::mentions(m, &["X-Spam-Flag:", "X-Spam-Probability:"]))
    {
        return Err("not enough messages without X-Spam fields to deliver".into());
    }
    let scan: Vec<PathBuf> = spam.iter().chain(&ham).take(n_scan).cloned().collect();
    Ok((train_spam, train_clean, untrained, bulk, scan))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: load FUMI HOME CORPUS [DELIVERIES BULK SCAN]");
        std::process::exit(2);
    }
    let n = |i: usize, d: usize| args.get(i).and_then(|v| v.parse().ok()).unwrap_or(d);
    let (fumi, home, corpus) = (
        PathBuf::from(&args[0]),
        PathBuf::from(&args[1]),
        PathBuf::from(&args[2]),
    );
    let result = plan(&corpus, n(3, 50), n(4, 1000), n(5, 1000)).and_then(
        |(ts, tc, deliveries, bulk, scan)| {
            println!("home trained on {} spam and {} clean", ts.len(), tc.len());
            run(
                &fumi,
                &home,
                (&ts, &tc),
                deliveries,
                &bulk,
                &scan,
                (0.99, 0.01),
            )
        },
    );
    match result {
        Ok(r) => r.print(),
        Err(e) => {
            eprintln!("FAILED: {e}");
            std::process::exit(1);
        }
    }
}
