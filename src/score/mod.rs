//! Token counts → a spam probability and a verdict.
//!
//! Robinson's f(w) (a token's spam probability shrunk towards a prior x with
//! strength s) combined with Fisher's inverse chi-square in both directions
//! (the default, `rf`), or with Robinson's geometric mean (`r`), or Paul
//! Graham's original method (`g`), as bsfilter offers. Everything is computed
//! in the log domain: no product of hundreds of probabilities ever underflows.

use std::borrow::Cow;

use crate::store::{TokenCounts, Totals};

/// How token probabilities are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Robinson f(w) + Fisher chi-square (`rf`).
    RobinsonFisher,
    /// Robinson f(w) + geometric means (`r`).
    Robinson,
    /// Graham's "A Plan for Spam" (`g`).
    Graham,
}

impl Method {
    /// bsfilter's `-m` letters.
    pub fn from_letters(s: &str) -> Option<Method> {
        match s.to_ascii_lowercase().as_str() {
            "rf" => Some(Method::RobinsonFisher),
            "r" => Some(Method::Robinson),
            "g" => Some(Method::Graham),
            _ => None,
        }
    }

    pub fn letters(self) -> &'static str {
        match self {
            Method::RobinsonFisher => "rf",
            Method::Robinson => "r",
            Method::Graham => "g",
        }
    }

    /// The default spam cutoff of this method.
    pub fn default_spam_cutoff(self) -> f64 {
        match self {
            Method::RobinsonFisher => DEFAULT_SPAM_CUTOFF,
            Method::Robinson => 0.582,
            Method::Graham => 0.9,
        }
    }
}

/// Default spam cutoff for `rf`: spam if the probability is above it.
/// Chosen by cross-validation and online replays of the SpamAssassin public
/// corpus with the default parameters (README, "Tuning"): the small Robinson
/// s of a trained database spreads probabilities wider than s = 0.3 did, and
/// 0.6 then let through more false positives (0.95, bsfilter's value, lets
/// far more spam through).
pub const DEFAULT_SPAM_CUTOFF: f64 = 0.7;

/// Robinson's s, at least, while the database is young
/// ([`Params::young_below`]): a token seen in one or two messages is then
/// weak evidence, however one-sided.
pub const YOUNG_STRENGTH: f64 = 0.3;

/// The share of Robinson's geometric-mean index in the `rf` figure: it
/// orders the messages Fisher's test saturates on (measured: 1e-3 against
/// 0..0.1 in README "Tuning", with examples/tune.rs), and moves no figure
/// by more than this.
pub const TAIL_WEIGHT: f64 = 1e-3;

/// Scoring parameters.
#[derive(Clone, Debug)]
pub struct Params {
    pub method: Method,
    /// Robinson's s: how strongly f(w) is pulled towards x.
    pub strength: f64,
    /// Robinson's x: the probability of a token never seen.
    pub prior: f64,
    /// Tokens with |f(w) − 0.5| below this are ignored.
    pub min_dev: f64,
    /// `min_dev` applies only to messages with more distinct tokens than
    /// this (0: to every message). Long prose piles up weak evidence that
    /// Fisher's test reads as certainty; short messages need every token.
    pub min_dev_above: usize,
    /// At most this many clues (the most extreme), 0 for no limit.
    pub max_clues: usize,
    /// The database is *young* while it holds fewer than this many spam or
    /// fewer than this many clean messages (0: never): s is then at least
    /// [`YOUNG_STRENGTH`] and `min_dev` is off, so that the few messages
    /// it knows do not decide alone.
    pub young_below: u64,
    /// Only tokens the database has counts for are clues (set by
    /// [`Params::in_effect`] for a database led by imported counts).
    pub seen_only: bool,
    /// Spam if the probability is above this.
    pub spam_cutoff: f64,
    /// Clean only at or below this; between the cutoffs the verdict is
    /// `unsure`. `None`: two verdicts only.
    pub ham_cutoff: Option<f64>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            method: Method::RobinsonFisher,
            strength: 0.1,
            prior: 0.46,
            min_dev: 0.25,
            min_dev_above: 600,
            max_clues: 0,
            young_below: 400,
            seen_only: false,
            spam_cutoff: DEFAULT_SPAM_CUTOFF,
            ham_cutoff: None,
        }
    }
}

impl Params {
    /// Whether a database with these totals is young (see
    /// [`Params::young_below`]).
    pub fn young(&self, totals: Totals) -> bool {
        totals.spam.min(totals.clean) < self.young_below
    }

    /// Whether a database with these totals is led by imported counts:
    /// something was imported from another filter and fumi itself has
    /// trained fewer than [`Params::young_below`] messages of a class. The
    /// other filter tokenized differently, so most of fumi's tokens are
    /// unknown to it: they say nothing about the message, yet as clues at
    /// x they would pull every message towards clean.
    pub fn import_led(&self, totals: Totals) -> bool {
        let (spam, clean) = totals.native();
        totals.imported_spam + totals.imported_clean > 0 && spam.min(clean) < self.young_below
    }

    /// The parameters in effect for a database with these totals: while
    /// it is young, s is at least [`YOUNG_STRENGTH`] and `min_dev` is off;
    /// while it is led by imported counts, only tokens it has seen count.
    pub fn in_effect(&self, totals: Totals) -> Cow<'_, Params> {
        let (young, imported) = (self.young(totals), self.import_led(totals));
        if !young && !imported {
            return Cow::Borrowed(self);
        }
        let mut p = self.clone();
        if young {
            p.strength = p.strength.max(YOUNG_STRENGTH);
            p.min_dev = 0.0;
        }
        p.seen_only |= imported;
        Cow::Owned(p)
    }
}

/// The verdict on a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Spam,
    Clean,
    Unsure,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Spam => "spam",
            Verdict::Clean => "clean",
            Verdict::Unsure => "unsure",
        }
    }
}

/// One token that took part in the decision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clue {
    /// Index of the token in the list given to [`score`].
    pub index: usize,
    /// The token's probability f(w).
    pub f: f64,
    pub counts: TokenCounts,
}

/// The result of scoring a message.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub probability: f64,
    pub verdict: Verdict,
    /// The clues used, in token order (see [`sort_clues`]).
    pub clues: Vec<Clue>,
    /// Scored with the young database's parameters ([`Params::young`]).
    pub young: bool,
    /// Scored by the tokens the database has seen only
    /// ([`Params::import_led`]).
    pub seen_only: bool,
}

/// Robinson's f(w) with `p`'s s and x as they are (callers pass
/// [`Params::in_effect`]).
pub fn robinson_f(c: TokenCounts, totals: Totals, p: &Params) -> f64 {
    let ns = totals.spam.max(1) as f64;
    let nc = totals.clean.max(1) as f64;
    let s = (c.spam as f64).min(ns);
    let h = (c.clean as f64).min(nc);
    let n = s + h;
    if n == 0.0 {
        return p.prior;
    }
    let sr = s / ns;
    let hr = h / nc;
    let pw = sr / (sr + hr);
    (p.strength * p.prior + n * pw) / (p.strength + n)
}

/// Graham's token probability (clean counts doubled, rare tokens skipped).
fn graham_f(c: TokenCounts, totals: Totals) -> Option<f64> {
    let ns = totals.spam.max(1) as f64;
    let nc = totals.clean.max(1) as f64;
    let s = c.spam as f64;
    let g = 2.0 * c.clean as f64;
    if c.spam as u64 + c.clean as u64 <= 5 {
        return None;
    }
    if c.clean == 0 {
        return Some(0.99);
    }
    if c.spam == 0 {
        return Some(0.01);
    }
    let sr = (s / ns).min(1.0);
    let gr = (g / nc).min(1.0);
    Some((sr / (sr + gr)).clamp(0.01, 0.99))
}

/// ln(k!), exactly for small k and by Stirling's series (error below
/// 1e-12) above.
fn ln_factorial(k: usize) -> f64 {
    if k <= 20 {
        return (2..=k).map(|i| (i as f64).ln()).sum();
    }
    let x = k as f64;
    x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x * x * x)
}

/// ln of the chi-square survival function Q(x2 | 2·half_dof): the Poisson
/// series e^-m Σ m^i/i! (i < half_dof, m = x2/2), summed relative to its
/// largest term so that it neither underflows nor needs an exp per term.
fn ln_chi2q(x2: f64, half_dof: usize) -> f64 {
    let m = x2 / 2.0;
    if m <= 0.0 || half_dof == 0 {
        return 0.0;
    }
    let n = half_dof;
    let peak = (m.floor() as usize).min(n - 1);
    let ln_peak = -m + peak as f64 * m.ln() - ln_factorial(peak);
    let mut sum = 1.0;
    let mut t = 1.0;
    for i in peak + 1..n {
        t *= m / i as f64;
        sum += t;
        if t < sum * 1e-17 {
            break;
        }
    }
    t = 1.0;
    for i in (1..=peak).rev() {
        t *= i as f64 / m;
        sum += t;
        if t < sum * 1e-17 {
            break;
        }
    }
    (ln_peak + sum.ln()).min(0.0)
}

/// Robinson's geometric-mean index from Σ ln f and Σ ln (1 − f) over `n`
/// clues: (1 + (P − Q)/(P + Q))/2.
fn geometric_index(ln_f: f64, ln_1f: f64, n: usize) -> f64 {
    let p = 1.0 - (ln_1f / n as f64).exp();
    let q = 1.0 - (ln_f / n as f64).exp();
    if p + q <= 0.0 {
        0.5
    } else {
        ((1.0 + (p - q) / (p + q)) / 2.0).clamp(0.0, 1.0)
    }
}

/// Combines token probabilities.
pub fn combine(fs: &[f64], method: Method) -> f64 {
    let n = fs.len();
    if n == 0 {
        return 0.5;
    }
    let clamp = |f: f64| f.clamp(1e-9, 1.0 - 1e-9);
    let ln_f: f64 = fs.iter().map(|&f| clamp(f).ln()).sum();
    let ln_1f: f64 = fs.iter().map(|&f| (1.0 - clamp(f)).ln()).sum();
    match method {
        Method::RobinsonFisher => {
            // S = 1 − Qs: evidence of spam (the hammy products are tiny),
            // H = 1 − Qh: of ham. (1 + S − H)/2 is computed as
            // (1 − Qs + Qh)/2, so that clean mail keeps its precision near
            // 0 (1 − H would round to 0 below 1e-16) and ranks below spam
            // that merely looks clean.
            let one_minus_qs = -ln_chi2q(-2.0 * ln_1f, n).exp_m1();
            let qh = ln_chi2q(-2.0 * ln_f, n).exp();
            let fisher = ((one_minus_qs + qh) / 2.0).clamp(0.0, 1.0);
            // The chi-square test saturates: in the tails, messages of very
            // different evidence get nearly the same figure, in an order
            // set more by their clue count than by their clues. A small
            // share of the geometric-mean index, which does not saturate,
            // orders them there and moves no figure by more than
            // TAIL_WEIGHT.
            (1.0 - TAIL_WEIGHT) * fisher + TAIL_WEIGHT * geometric_index(ln_f, ln_1f, n)
        }
        Method::Robinson => geometric_index(ln_f, ln_1f, n),
        Method::Graham => {
            // Πf / (Πf + Π(1−f)) = 1 / (1 + e^(ln Π(1−f) − ln Πf))
            1.0 / (1.0 + (ln_1f - ln_f).exp())
        }
    }
}

/// Scores a message from the counts of its distinct tokens.
pub fn score(counts: &[TokenCounts], totals: Totals, p: &Params) -> Outcome {
    let p = &*p.in_effect(totals);
    let mut clues: Vec<Clue> = Vec::with_capacity(counts.len().min(512));
    match p.method {
        Method::Graham => {
            for (index, &c) in counts.iter().enumerate() {
                let f = graham_f(c, totals).unwrap_or(0.4);
                clues.push(Clue {
                    index,
                    f,
                    counts: c,
                });
            }
            select(&mut clues, 0.0, 15);
        }
        _ => {
            for (index, &c) in counts.iter().enumerate() {
                let f = robinson_f(c, totals, p);
                clues.push(Clue {
                    index,
                    f,
                    counts: c,
                });
            }
            let min_dev = if clues.len() > p.min_dev_above {
                p.min_dev
            } else {
                0.0
            };
            if p.seen_only {
                clues.retain(|c| c.counts.spam > 0 || c.counts.clean > 0);
            }
            select(&mut clues, min_dev, p.max_clues);
        }
    }
    let fs: Vec<f64> = clues.iter().map(|c| c.f).collect();
    let probability = combine(&fs, p.method);
    Outcome {
        probability,
        verdict: verdict(probability, p),
        clues,
        young: p.young(totals),
        seen_only: p.seen_only,
    }
}

/// Keeps the clues outside the min_dev band, most extreme first, at most `max`.
fn select(clues: &mut Vec<Clue>, min_dev: f64, max: usize) {
    if min_dev > 0.0 {
        clues.retain(|c| (c.f - 0.5).abs() >= min_dev);
    }
    if max > 0 && clues.len() > max {
        sort_clues(clues);
        clues.truncate(max);
    }
}

/// Most extreme clues first (for a clue cap and for `--explain`).
pub fn sort_clues(clues: &mut [Clue]) {
    clues.sort_by(|a, b| {
        (b.f - 0.5)
            .abs()
            .total_cmp(&(a.f - 0.5).abs())
            .then(a.index.cmp(&b.index))
    });
}

/// A probability as `--scan` prints it: fixed-point, at least six decimals,
/// and as many more as it takes to read back the same number, so that
/// messages sort by it even far below 0.000001.
pub fn format_probability(p: f64) -> String {
    let six = format!("{p:.6}");
    if six.parse::<f64>().ok() == Some(p) {
        six
    } else {
        format!("{p}")
    }
}

/// The verdict for a probability under the cutoffs (bsfilter: spam if above
/// the spam cutoff).
pub fn verdict(probability: f64, p: &Params) -> Verdict {
    if probability > p.spam_cutoff {
        Verdict::Spam
    } else if p.ham_cutoff.is_some_and(|h| probability > h) {
        Verdict::Unsure
    } else {
        Verdict::Clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tc(spam: u32, clean: u32) -> TokenCounts {
        TokenCounts {
            spam,
            clean,
            day: 0,
        }
    }

    /// The straightforward log-sum-exp of every term, for comparison.
    fn reference(x2: f64, n: usize) -> f64 {
        let m = x2 / 2.0;
        let mut terms = vec![-m];
        for i in 1..n {
            let last = terms[i - 1];
            terms.push(last + m.ln() - (i as f64).ln());
        }
        let max = terms.iter().copied().fold(f64::MIN, f64::max);
        (max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()).min(0.0)
    }

    #[test]
    fn chi2q_agrees_with_the_full_series() {
        for &n in &[1usize, 2, 5, 30, 150, 400, 2000] {
            for &x2 in &[0.01, 1.0, 10.0, 100.0, 800.0, 3000.0, 20000.0] {
                let (a, b) = (ln_chi2q(x2, n), reference(x2, n));
                assert!(
                    (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                    "n={n} x2={x2}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn chi2q_matches_known_values() {
        // Q(x2 | v) for v = 2: e^(-x2/2).
        assert!((ln_chi2q(4.0, 1).exp() - (-2.0f64).exp()).abs() < 1e-12);
        // v = 4: e^-m (1 + m)
        let m: f64 = 3.0;
        assert!((ln_chi2q(6.0, 2).exp() - (-m).exp() * (1.0 + m)).abs() < 1e-12);
        // Huge arguments stay finite in the log domain.
        assert!(ln_chi2q(1e6, 300).is_finite());
    }

    #[test]
    fn robinson_f_behaves() {
        let t = Totals::new(100, 100);
        let p = Params::default();
        assert_eq!(robinson_f(tc(0, 0), t, &p), p.prior);
        assert!(robinson_f(tc(50, 0), t, &p) > 0.99);
        assert!(robinson_f(tc(0, 50), t, &p) < 0.01);
        assert!((robinson_f(tc(10, 10), t, &p) - 0.5).abs() < 0.01);
    }

    #[test]
    fn probabilities_print_exactly() {
        for p in [
            0.0,
            1.0,
            0.5,
            0.123456,
            0.1234567891,
            3.5e-21,
            1e-300,
            0.9999999,
        ] {
            let s = format_probability(p);
            assert_eq!(s.parse::<f64>().ok(), Some(p), "{s}");
            assert!(
                !s.contains('e') && s.split('.').nth(1).is_some_and(|d| d.len() >= 6),
                "{s}"
            );
        }
        assert_eq!(format_probability(0.5), "0.500000");
        assert_eq!(format_probability(3.5e-21), "0.0000000000000000000035");
    }

    #[test]
    fn clean_mail_keeps_its_precision_near_zero() {
        // Strong ham evidence of different strength: both far below 1e-4,
        // still ordered.
        let weak: Vec<f64> = vec![0.01; 20];
        let strong: Vec<f64> = vec![0.001; 40];
        let (a, b) = (
            combine(&weak, Method::RobinsonFisher),
            combine(&strong, Method::RobinsonFisher),
        );
        assert!(a > 0.0 && b > 0.0 && b < a && a < 1e-4, "{a} {b}");
    }

    /// Where Fisher's test saturates (1.0, 0.5 or 0.0 to the last bit for
    /// both messages), the stronger evidence still ranks first, and the
    /// figure stays within TAIL_WEIGHT of Fisher's.
    #[test]
    fn saturated_evidence_stays_ordered() {
        let rf = |fs: &[f64]| combine(fs, Method::RobinsonFisher);
        let mixed = |a: f64, b: f64| -> Vec<f64> {
            let mut v = vec![a; 300];
            v.extend(vec![b; 300]);
            v
        };
        let (spam, spammier) = (rf(&[0.99; 300]), rf(&[0.9999; 300]));
        assert!(1.0 - TAIL_WEIGHT <= spam && spam < spammier && spammier <= 1.0);
        let (ham, hammier) = (rf(&[0.01; 300]), rf(&[0.0001; 300]));
        assert!(0.0 <= hammier && hammier < ham && ham <= TAIL_WEIGHT);
        let (both, leaning) = (rf(&mixed(0.99, 0.01)), rf(&mixed(0.99, 0.05)));
        assert!(
            (both - 0.5).abs() <= TAIL_WEIGHT && both < leaning,
            "{both} {leaning}"
        );
        assert!((leaning - 0.5).abs() <= TAIL_WEIGHT, "{leaning}");
    }

    #[test]
    fn combining_extremes_never_underflows() {
        let spammy = vec![0.999; 2000];
        let hammy = vec![0.001; 2000];
        for m in [Method::RobinsonFisher, Method::Robinson, Method::Graham] {
            let s = combine(&spammy, m);
            let h = combine(&hammy, m);
            assert!(s > 0.99 && s <= 1.0, "{m:?} {s}");
            assert!((0.0..0.01).contains(&h), "{m:?} {h}");
            assert_eq!(combine(&[], m), 0.5);
        }
    }

    #[test]
    fn score_and_verdicts() {
        let t = Totals::new(10, 10);
        let mut p = Params {
            min_dev: 0.1,
            min_dev_above: 0,
            young_below: 0,
            ..Params::default()
        };
        let spam = score(&[tc(9, 0), tc(8, 1), tc(0, 0)], t, &p);
        assert_eq!(spam.verdict, Verdict::Spam);
        assert_eq!(spam.clues.len(), 2, "the unknown token is within min_dev");
        let ham = score(&[tc(0, 9), tc(1, 8)], t, &p);
        assert_eq!(ham.verdict, Verdict::Clean);
        p.ham_cutoff = Some(0.2);
        assert_eq!(verdict(0.5, &p), Verdict::Unsure);
        assert_eq!(verdict(0.2, &p), Verdict::Clean);
        assert_eq!(verdict(0.96, &p), Verdict::Spam);
        let empty = score(&[], t, &p);
        assert_eq!(empty.probability, 0.5);
    }

    /// min_dev drops weak clues only from messages with more distinct
    /// tokens than min_dev_above: a short message keeps every clue, a long
    /// one its strong clues only.
    #[test]
    fn min_dev_only_above_the_token_count() {
        let t = Totals::new(100, 100);
        let p = Params {
            min_dev: 0.25,
            min_dev_above: 4,
            young_below: 0,
            ..Params::default()
        };
        // Two strong spam clues and two weak clean ones (f ≈ 0.4).
        let mut short = vec![tc(50, 0), tc(40, 0), tc(40, 60), tc(40, 60)];
        assert_eq!(score(&short, t, &p).clues.len(), 4);
        // One more weak clue makes the message "long": the weak ones go.
        short.push(tc(40, 60));
        let long = score(&short, t, &p);
        assert_eq!(long.clues.len(), 2);
        assert!(long.clues.iter().all(|c| c.f > 0.75));
        // 0 applies min_dev to every message.
        let all = Params {
            min_dev_above: 0,
            ..p
        };
        assert_eq!(score(&short[..4], t, &all).clues.len(), 2);
    }

    /// A young database (fewer than young_below messages of either class)
    /// scores with s ≥ YOUNG_STRENGTH and without min_dev; once both
    /// classes reach young_below the configured parameters apply.
    #[test]
    fn young_database_scores_cautiously() {
        let p = Params {
            strength: 0.1,
            min_dev: 0.25,
            min_dev_above: 0,
            young_below: 50,
            ..Params::default()
        };
        let young = Totals::new(49, 500);
        let grown = Totals::new(50, 500);
        assert!(p.young(young) && !p.young(grown));
        let (py, pg) = (p.in_effect(young), p.in_effect(grown));
        assert_eq!((py.strength, py.min_dev), (YOUNG_STRENGTH, 0.0));
        assert_eq!((pg.strength, pg.min_dev), (0.1, 0.25));
        // A token seen in one spam: shrunk harder towards x while young.
        let once = tc(1, 0);
        let (fy, fg) = (robinson_f(once, young, &py), robinson_f(once, grown, &pg));
        assert!((fy - (0.3 * p.prior + 1.0) / 1.3).abs() < 1e-12, "{fy}");
        assert!((fg - (0.1 * p.prior + 1.0) / 1.1).abs() < 1e-12, "{fg}");
        // min_dev is off while young: the weak clue (f ≈ 0.4) stays.
        let counts = [tc(40, 0), tc(40, 600)];
        let y = score(&counts, young, &p);
        assert!(y.young);
        assert_eq!(y.clues.len(), 2);
        let g = score(&counts, grown, &p);
        assert!(!g.young);
        assert_eq!(g.clues.len(), 1);
        // A larger configured s is kept, and 0 means never young.
        let stiff = Params {
            strength: 1.0,
            ..p.clone()
        };
        assert_eq!(stiff.in_effect(young).strength, 1.0);
        let never = Params {
            young_below: 0,
            ..p
        };
        assert!(!never.young(Totals::default()));
    }

    /// A database led by imported counts (something imported, fewer than
    /// young_below messages of a class trained natively) scores by the
    /// tokens it has seen only; it is not young for that.
    #[test]
    fn imported_database_counts_seen_tokens_only() {
        let p = Params {
            young_below: 50,
            min_dev: 0.0,
            ..Params::default()
        };
        let imported = Totals::new(1000, 2000).as_imported();
        let some_native = imported.plus(Totals::new(49, 500));
        let enough_native = imported.plus(Totals::new(50, 50));
        assert_eq!(some_native.native(), (49, 500));
        for (t, led) in [
            (imported, true),
            (some_native, true),
            (enough_native, false),
            (Totals::new(1000, 2000), false),
        ] {
            assert_eq!(p.import_led(t), led, "{t:?}");
            assert_eq!(p.in_effect(t).seen_only, led, "{t:?}");
            assert!(!p.young(t));
        }
        // The unseen token is a clue (at x) only once the import no longer
        // leads.
        let counts = [tc(400, 10), tc(0, 0), tc(30, 900)];
        let led = score(&counts, imported, &p);
        assert!(led.seen_only && !led.young);
        assert_eq!(
            led.clues.iter().map(|c| c.index).collect::<Vec<_>>(),
            [0, 2]
        );
        let grown = score(&counts, enough_native, &p);
        assert!(!grown.seen_only);
        assert_eq!(grown.clues.len(), 3);
        // 0 means never.
        let never = Params {
            young_below: 0,
            ..p
        };
        assert!(!never.import_led(imported));
    }
}
