//! `--eval`: measure fumi on a user's own mail without touching their
//! database.
//!
//! Every message is tokenized once; tokens are interned to integers, and
//! training and scoring then run on in-memory count tables with exactly the
//! semantics of the real store (presence counting, one learning per message
//! digest, a later learning of the same message as the other class moves it)
//! and of `--scan` (probabilities rounded to six decimals). So the numbers
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

    /// Scores a message, rounded to six decimals like `--scan` prints it.
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
        let rounded = (o.probability * 1e6).round() / 1e6;
        (rounded, score::verdict(rounded, p))
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
