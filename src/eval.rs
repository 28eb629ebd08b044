//! `--eval`: measure fumi on a user's own mail without touching their
//! database.
//!
//! Every message is tokenized once; tokens are interned to integers, and
//! training and scoring then run on in-memory count tables with exactly the
//! semantics of the real store (presence counting, one learning per message
//! digest, a later learning of the same message as the other class moves it)
//! and of `--scan` (which prints probabilities exactly). So the numbers
//! agree with `--add-*` + `--scan` and with ../shared/bench on the same split.

use std::collections::HashMap;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use sha2::{Digest as _, Sha256};

use crate::engine::{Counting, Engine};
use crate::score::{self, Params, Verdict};
use crate::store::{Digest, TokenCounts, Totals};

/// A tokenized message with its label.
pub struct Sample {
    pub name: String,
    pub spam: bool,
    /// Interned token ids with the count training adds for each.
    pub tokens: Vec<(u32, u32)>,
    pub digest: Digest,
    /// The raw bytes (kept for harness-compatible hashing with a seed).
    pub bytes_hash_input: Vec<u8>,
}

/// A labelled corpus, tokenized.
pub struct Corpus {
    pub samples: Vec<Sample>,
    pub vocabulary: usize,
}

/// A message to evaluate: name, bytes, is it spam.
pub type Labelled = (String, Vec<u8>, bool);

/// Loads and tokenizes messages.
pub fn build(engine: &Engine, messages: Vec<Labelled>) -> Corpus {
    let prepared: Vec<_> = messages
        .into_par_iter()
        .map(|(name, bytes, spam)| {
            let set = engine.tokens(&bytes);
            let keys: Vec<(Box<[u8]>, u32)> = set
                .iter()
                .map(|(k, n)| {
                    (
                        Box::from(k),
                        if engine.counting == Counting::Presence {
                            1
                        } else {
                            n
                        },
                    )
                })
                .collect();
            let digest = engine.digest(&bytes);
            (name, spam, keys, digest, bytes)
        })
        .collect();
    let mut ids: FxHashMap<Box<[u8]>, u32> = FxHashMap::default();
    let mut samples = Vec::with_capacity(prepared.len());
    for (name, spam, keys, digest, bytes) in prepared {
        let tokens = keys
            .into_iter()
            .map(|(k, n)| {
                let next = ids.len() as u32;
                (*ids.entry(k).or_insert(next), n)
            })
            .collect();
        samples.push(Sample {
            name,
            spam,
            tokens,
            digest,
            bytes_hash_input: bytes,
        });
    }
    Corpus {
        vocabulary: ids.len(),
        samples,
    }
}

/// In-memory counts with the store's training semantics.
pub struct Model {
    counts: Vec<(u32, u32)>,
    totals: Totals,
    trained: HashMap<Digest, bool>,
}

impl Model {
    pub fn new(vocabulary: usize) -> Model {
        Model {
            counts: vec![(0, 0); vocabulary],
            totals: Totals::default(),
            trained: HashMap::new(),
        }
    }

    fn apply(&mut self, s: &Sample, spam: bool, sign: i64) {
        for &(id, n) in &s.tokens {
            let c = &mut self.counts[id as usize];
            let slot = if spam { &mut c.0 } else { &mut c.1 };
            *slot = (*slot as i64 + sign * n as i64).max(0) as u32;
        }
        let t = if spam {
            &mut self.totals.spam
        } else {
            &mut self.totals.clean
        };
        *t = (*t as i64 + sign).max(0) as u64;
    }

    /// Learns a message as its label (or `spam`), like `--add-spam/--add-clean`.
    pub fn learn(&mut self, s: &Sample, spam: bool) {
        match self.trained.get(&s.digest).copied() {
            Some(p) if p == spam => {}
            Some(p) => {
                self.apply(s, p, -1);
                self.apply(s, spam, 1);
                self.trained.insert(s.digest, spam);
            }
            None => {
                self.apply(s, spam, 1);
                self.trained.insert(s.digest, spam);
            }
        }
    }

    /// Scores a message (`--scan` prints the probability exactly).
    pub fn score(&self, s: &Sample, p: &Params) -> (f64, Verdict) {
        let counts: Vec<TokenCounts> = s
            .tokens
            .iter()
            .map(|&(id, _)| {
                let (spam, clean) = self.counts[id as usize];
                TokenCounts {
                    spam,
                    clean,
                    day: 0,
                }
            })
            .collect();
        let o = score::score(&counts, self.totals, p);
        (o.probability, o.verdict)
    }
}

/// A scored message of an evaluation.
#[derive(Clone, Copy, Debug)]
pub struct Scored {
    pub spam: bool,
    pub probability: f64,
    pub verdict: Verdict,
}

/// k-fold cross-validation; a message's fold is fixed by
/// `sha256(seed, "fold", bytes)`.
pub fn cross_validate(c: &Corpus, k: usize, seed: &str, p: &Params) -> Vec<Scored> {
    let k = k.max(2);
    let folds: Vec<usize> = c
        .samples
        .par_iter()
        .map(|s| {
            let h = seeded_key(seed, "fold", s);
            (u64::from_le_bytes(h[..8].try_into().unwrap_or([0; 8])) % k as u64) as usize
        })
        .collect();
    (0..k)
        .into_par_iter()
        .flat_map_iter(|f| {
            let mut m = Model::new(c.vocabulary);
            // Spam first, then clean, as a user would train two folders.
            for spam in [true, false] {
                for (s, _) in c
                    .samples
                    .iter()
                    .zip(&folds)
                    .filter(|(s, fo)| s.spam == spam && **fo != f)
                {
                    m.learn(s, s.spam);
                }
            }
            c.samples
                .iter()
                .zip(&folds)
                .filter(|(_, fo)| **fo == f)
                .map(|(s, _)| {
                    let (probability, verdict) = m.score(s, p);
                    Scored {
                        spam: s.spam,
                        probability,
                        verdict,
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `sha256(seed \0 salt \0 bytes)`, the ordering key of ../shared/bench.
fn seeded_key(seed: &str, salt: &str, s: &Sample) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    h.update(b"\0");
    h.update(salt.as_bytes());
    h.update(b"\0");
    h.update(&s.bytes_hash_input);
    h.finalize().into()
}

/// The train/test split of ../shared/bench (`make_split`): within each class,
/// messages ordered by `sha256(seed, "split", bytes)` (ties by name), the
/// first `frac` to training. Trains on spam, then clean; scores the rest.
pub fn bench_split(c: &Corpus, seed: &str, frac: f64, p: &Params) -> Vec<Scored> {
    let mut m = Model::new(c.vocabulary);
    let mut test = Vec::new();
    for spam in [true, false] {
        let mut group: Vec<(&Sample, [u8; 32])> = c
            .samples
            .iter()
            .filter(|s| s.spam == spam)
            .map(|s| (s, seeded_key(seed, "split", s)))
            .collect();
        group.sort_by(|a, b| hex(&a.1).cmp(&hex(&b.1)).then(a.0.name.cmp(&b.0.name)));
        let k = (frac * group.len() as f64).round() as usize;
        for (s, _) in &group[..k] {
            m.learn(s, s.spam);
        }
        test.extend(group[k..].iter().map(|(s, _)| *s));
    }
    test.par_iter()
        .map(|s| {
            let (probability, verdict) = m.score(s, p);
            Scored {
                spam: s.spam,
                probability,
                verdict,
            }
        })
        .collect()
}

fn hex(b: &[u8; 32]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The online (TREC-style) pass: messages in a seeded order; each is scored,
/// then learned as its true label (`train_on_error`: only when the verdict
/// was wrong or unsure).
pub fn online(c: &Corpus, seed: &str, train_on_error: bool, p: &Params) -> Vec<Scored> {
    let mut order: Vec<(&Sample, String)> = c
        .samples
        .iter()
        .map(|s| (s, hex(&seeded_key(seed, "online", s))))
        .collect();
    order.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.name.cmp(&b.0.name)));
    let mut m = Model::new(c.vocabulary);
    let mut out = Vec::with_capacity(order.len());
    for (s, _) in order {
        let (probability, verdict) = m.score(s, p);
        out.push(Scored {
            spam: s.spam,
            probability,
            verdict,
        });
        let wrong = (verdict == Verdict::Spam) != s.spam || verdict == Verdict::Unsure;
        if !train_on_error || wrong {
            m.learn(s, s.spam);
        }
    }
    out
}

/// Accuracy figures, defined as ../shared/bench defines them.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    pub n_spam: usize,
    pub n_clean: usize,
    /// 100·(1 − AUC), ties counted as half.
    pub one_minus_auc_pct: f64,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub unsure: usize,
    /// FNR at the best threshold with FPR ≤ 0.1 % / 1 %, and that threshold.
    pub fnr_at_fpr_01: (f64, Option<f64>),
    pub fnr_at_fpr_1: (f64, Option<f64>),
}

/// Mann–Whitney AUC with ties as half.
pub fn auc(spam: &[f64], clean: &[f64]) -> f64 {
    if spam.is_empty() || clean.is_empty() {
        return f64::NAN;
    }
    let mut all: Vec<(f64, bool)> = spam
        .iter()
        .map(|&v| (v, true))
        .chain(clean.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut greater, mut ties, mut clean_below) = (0f64, 0f64, 0f64);
    let mut i = 0;
    while i < all.len() {
        let v = all[i].0;
        let (mut cs, mut cc) = (0f64, 0f64);
        while i < all.len() && all[i].0 == v {
            if all[i].1 {
                cs += 1.0;
            } else {
                cc += 1.0;
            }
            i += 1;
        }
        greater += cs * clean_below;
        ties += cs * cc;
        clean_below += cc;
    }
    (greater + 0.5 * ties) / (spam.len() as f64 * clean.len() as f64)
}

/// Best single threshold t (spam iff score ≥ t) with FPR ≤ target: the FNR
/// and t. Tied scores are not split.
pub fn fnr_at_fpr(spam: &[f64], clean: &[f64], target: f64) -> (f64, Option<f64>) {
    let mut values: Vec<f64> = spam.iter().chain(clean).copied().collect();
    values.sort_by(|a, b| b.total_cmp(a));
    values.dedup();
    let max_fp = (target * clean.len() as f64 + 1e-9).floor() as usize;
    let count = |v: &[f64], t: f64| v.iter().filter(|&&x| x == t).count();
    let (mut fp, mut tp) = (0usize, 0usize);
    let mut best = (1.0, None);
    for t in values {
        fp += count(clean, t);
        tp += count(spam, t);
        if fp > max_fp {
            break;
        }
        best = (1.0 - tp as f64 / spam.len().max(1) as f64, Some(t));
    }
    best
}

pub fn metrics(scored: &[Scored]) -> Metrics {
    let spam: Vec<f64> = scored
        .iter()
        .filter(|s| s.spam)
        .map(|s| s.probability)
        .collect();
    let clean: Vec<f64> = scored
        .iter()
        .filter(|s| !s.spam)
        .map(|s| s.probability)
        .collect();
    Metrics {
        n_spam: spam.len(),
        n_clean: clean.len(),
        one_minus_auc_pct: 100.0 * (1.0 - auc(&spam, &clean)),
        false_positives: scored
            .iter()
            .filter(|s| !s.spam && s.verdict == Verdict::Spam)
            .count(),
        false_negatives: scored
            .iter()
            .filter(|s| s.spam && s.verdict != Verdict::Spam)
            .count(),
        unsure: scored
            .iter()
            .filter(|s| s.verdict == Verdict::Unsure)
            .count(),
        fnr_at_fpr_01: fnr_at_fpr(&spam, &clean, 0.001),
        fnr_at_fpr_1: fnr_at_fpr(&spam, &clean, 0.01),
    }
}

/// Reads the messages under `paths` (files, Maildirs, trees; mbox files when
/// `mbox`).
pub fn read_messages(
    paths: &[std::path::PathBuf],
    mbox: bool,
    spam: bool,
) -> (Vec<Labelled>, Vec<String>) {
    let (sources, mut errors) = crate::cli::input::expand(paths, mbox);
    let mut out = Vec::new();
    for src in &sources {
        if let Err(e) =
            crate::cli::input::read_source(src, &mut |m| out.push((m.name, m.bytes, spam)))
        {
            errors.push(e);
        }
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_with_ties() {
        assert_eq!(auc(&[1.0, 0.9], &[0.1, 0.2]), 1.0);
        assert_eq!(auc(&[0.5], &[0.5]), 0.5);
        assert!((auc(&[0.9, 0.5], &[0.5, 0.1]) - 0.875).abs() < 1e-12);
    }

    #[test]
    fn fnr_at_target() {
        let spam = [0.99, 0.98, 0.5, 0.2];
        let clean: Vec<f64> = (0..1000)
            .map(|i| if i == 0 { 0.985 } else { 0.01 })
            .collect();
        // One false positive allowed at 0.1 %: threshold 0.2 catches all spam.
        assert_eq!(fnr_at_fpr(&spam, &clean, 0.001), (0.0, Some(0.2)));
        assert_eq!(fnr_at_fpr(&spam, &clean, 0.0).1, Some(0.99));
    }
}

/// Cutoffs suggested by a set of scores: the spam cutoff that keeps false
/// positives at or below `max_fpr`, and a ham cutoff under which at most
/// `max_fnr` of the spam fall (what lies between is `unsure`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Suggestion {
    pub spam_cutoff: f64,
    pub ham_cutoff: f64,
    /// The rates those cutoffs give on the scores they came from.
    pub fpr: f64,
    pub fnr: f64,
    pub unsure: f64,
}

pub fn suggest(scored: &[Scored], max_fpr: f64, max_fnr: f64) -> Suggestion {
    let mut clean: Vec<f64> = scored
        .iter()
        .filter(|s| !s.spam)
        .map(|s| s.probability)
        .collect();
    let mut spam: Vec<f64> = scored
        .iter()
        .filter(|s| s.spam)
        .map(|s| s.probability)
        .collect();
    clean.sort_by(|a, b| b.total_cmp(a));
    spam.sort_by(f64::total_cmp);
    // Spam means "above the cutoff": the k-th highest clean score lets k
    // clean messages through as spam.
    let k = (max_fpr * clean.len() as f64 + 1e-9).floor() as usize;
    let spam_cutoff = clean.get(k).copied().unwrap_or(0.0).clamp(0.0, 1.0);
    // Clean means "at or below the ham cutoff": just under the (k+1)-th
    // lowest spam score.
    let k = (max_fnr * spam.len() as f64 + 1e-9).floor() as usize;
    let ham_cutoff = (spam.get(k).copied().unwrap_or(1.0) - 1e-6).clamp(0.0, spam_cutoff);
    let n_clean = clean.len().max(1) as f64;
    let n_spam = spam.len().max(1) as f64;
    let fp = clean.iter().filter(|&&v| v > spam_cutoff).count() as f64;
    let fn_ = spam.iter().filter(|&&v| v <= ham_cutoff).count() as f64;
    let unsure = scored
        .iter()
        .filter(|s| s.probability > ham_cutoff && s.probability <= spam_cutoff)
        .count() as f64;
    Suggestion {
        spam_cutoff,
        ham_cutoff,
        fpr: fp / n_clean,
        fnr: fn_ / n_spam,
        unsure: unsure / scored.len().max(1) as f64,
    }
}

/// A self-contained HTML page: the ROC curve and the score histograms of
/// both classes for each run.
pub fn html_report(title: &str, runs: &[(String, Vec<Scored>)]) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
    h.push_str(&escape(title));
    h.push_str("</title><style>body{font-family:sans-serif;margin:2em;max-width:70em}\
                svg{border:1px solid #ccc;margin:0.5em 1em 0.5em 0}td,th{padding:0.2em 0.8em;text-align:right}\
                .spam{fill:#c0392b;stroke:#c0392b}.clean{fill:#2471a3;stroke:#2471a3}</style></head><body>\n");
    h.push_str(&format!("<h1>{}</h1>\n", escape(title)));
    h.push_str("<table><tr><th>protocol</th><th>(1-AUC)%</th><th>FNR at FPR ≤ 0.1%</th><th>FNR at FPR ≤ 1%</th></tr>\n");
    for (name, s) in runs {
        let m = metrics(s);
        h.push_str(&format!(
            "<tr><td style=\"text-align:left\">{}</td><td>{:.4}</td><td>{:.2}%</td><td>{:.2}%</td></tr>\n",
            escape(name),
            m.one_minus_auc_pct,
            100.0 * m.fnr_at_fpr_01.0,
            100.0 * m.fnr_at_fpr_1.0
        ));
    }
    h.push_str("</table>\n");
    for (name, s) in runs {
        h.push_str(&format!("<h2>{}</h2>\n", escape(name)));
        h.push_str(&roc_svg(s));
        h.push_str(&histogram_svg(s));
    }
    h.push_str("<p>ROC: the share of spam caught (up) against the share of clean mail flagged (right, \
                logarithmic from 0.01%). Histograms: how many messages of each class got each score \
                (50 bins, logarithmic counts).</p></body></html>\n");
    h
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

const W: f64 = 420.0;
const H: f64 = 300.0;
const PAD: f64 = 40.0;

fn roc_svg(s: &[Scored]) -> String {
    let mut v: Vec<&Scored> = s.iter().collect();
    v.sort_by(|a, b| b.probability.total_cmp(&a.probability));
    let n_spam = s.iter().filter(|x| x.spam).count().max(1) as f64;
    let n_clean = s.iter().filter(|x| !x.spam).count().max(1) as f64;
    // x: log10(FPR) from -4 to 0; FPR 0 drawn at the left edge.
    let x = |fpr: f64| PAD + (W - 2.0 * PAD) * ((fpr.max(1e-4).log10() + 4.0) / 4.0);
    let y = |tpr: f64| H - PAD - (H - 2.0 * PAD) * tpr;
    let (mut tp, mut fp) = (0f64, 0f64);
    let mut pts = vec![format!("{:.1},{:.1}", x(0.0), y(0.0))];
    let mut i = 0;
    while i < v.len() {
        let t = v[i].probability;
        while i < v.len() && v[i].probability == t {
            if v[i].spam {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        pts.push(format!("{:.1},{:.1}", x(fp / n_clean), y(tp / n_spam)));
    }
    let mut g = format!("<svg width=\"{W}\" height=\"{H}\" xmlns=\"http://www.w3.org/2000/svg\">");
    for (k, label) in ["0.01%", "0.1%", "1%", "10%", "100%"].iter().enumerate() {
        let xx = PAD + (W - 2.0 * PAD) * k as f64 / 4.0;
        g.push_str(&format!(
            "<line x1=\"{xx}\" y1=\"{PAD}\" x2=\"{xx}\" y2=\"{}\" stroke=\"#eee\"/><text x=\"{xx}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{label}</text>",
            H - PAD,
            H - PAD + 14.0
        ));
    }
    for k in 0..=4 {
        let t = k as f64 / 4.0;
        g.push_str(&format!(
            "<line x1=\"{PAD}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#eee\"/><text x=\"{2}\" y=\"{0}\" font-size=\"10\" text-anchor=\"end\">{3:.0}%</text>",
            y(t),
            W - PAD,
            PAD - 4.0,
            100.0 * t
        ));
    }
    g.push_str(&format!(
        "<polyline fill=\"none\" class=\"spam\" stroke-width=\"1.5\" points=\"{}\"/>",
        pts.join(" ")
    ));
    g.push_str(&format!(
        "<text x=\"{}\" y=\"16\" font-size=\"12\" text-anchor=\"middle\">ROC: spam caught vs clean flagged (log)</text></svg>\n",
        W / 2.0
    ));
    g
}

fn histogram_svg(s: &[Scored]) -> String {
    const BINS: usize = 50;
    let mut counts = [[0usize; BINS]; 2];
    for x in s {
        let b = ((x.probability * BINS as f64) as usize).min(BINS - 1);
        counts[usize::from(x.spam)][b] += 1;
    }
    let max = counts.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    let bw = (W - 2.0 * PAD) / BINS as f64;
    let hgt = |c: usize| {
        if c == 0 {
            0.0
        } else {
            (H - 2.0 * PAD) * (1.0 + c as f64).log10() / (1.0 + max).log10()
        }
    };
    let mut g = format!("<svg width=\"{W}\" height=\"{H}\" xmlns=\"http://www.w3.org/2000/svg\">");
    for (class, name) in [(0usize, "clean"), (1, "spam")] {
        for (b, &c) in counts[class].iter().enumerate() {
            let hh = hgt(c);
            if hh > 0.0 {
                g.push_str(&format!(
                    "<rect class=\"{name}\" fill-opacity=\"0.55\" stroke-width=\"0\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{name}: {c} messages at {:.2}–{:.2}</title></rect>",
                    PAD + b as f64 * bw,
                    H - PAD - hh,
                    bw,
                    hh,
                    b as f64 / BINS as f64,
                    (b + 1) as f64 / BINS as f64
                ));
            }
        }
    }
    for k in 0..=4 {
        let xx = PAD + (W - 2.0 * PAD) * k as f64 / 4.0;
        g.push_str(&format!(
            "<text x=\"{xx}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{:.2}</text>",
            H - PAD + 14.0,
            k as f64 / 4.0
        ));
    }
    g.push_str(&format!(
        "<text x=\"{}\" y=\"16\" font-size=\"12\" text-anchor=\"middle\">scores: <tspan class=\"clean\">clean</tspan> and <tspan class=\"spam\">spam</tspan> (log counts)</text></svg>\n",
        W / 2.0
    ));
    g
}

#[cfg(test)]
mod report_tests {
    use super::*;

    fn sc(spam: bool, p: f64) -> Scored {
        Scored {
            spam,
            probability: p,
            verdict: if p > 0.5 {
                Verdict::Spam
            } else {
                Verdict::Clean
            },
        }
    }

    #[test]
    fn suggestions_meet_their_targets() {
        let mut s: Vec<Scored> = (0..1000).map(|i| sc(false, i as f64 / 10_000.0)).collect();
        s.push(sc(false, 0.97));
        s.extend((0..200).map(|i| sc(true, 0.5 + i as f64 / 400.0)));
        let g = suggest(&s, 0.001, 0.01);
        assert!(g.fpr <= 0.001 && g.fnr <= 0.01, "{g:?}");
        assert!(g.ham_cutoff <= g.spam_cutoff);
    }

    #[test]
    fn report_is_html_with_two_figures_per_run() {
        let s = vec![sc(true, 0.9), sc(false, 0.1), sc(true, 0.4), sc(false, 0.6)];
        let h = html_report("t <x>", &[("cv".into(), s)]);
        assert!(h.starts_with("<!DOCTYPE html>") && h.contains("t &lt;x&gt;"));
        assert_eq!(h.matches("<svg").count(), 2);
    }
}
