//! How fumi's defaults were chosen: tokenizer variants and scoring
//! parameters measured by repeated 10-fold cross-validation (three fold
//! assignments) and by ../shared/bench's 50/50 split on a labelled corpus.
//!
//!     cargo run --release --example tune -- SPAM_DIR CLEAN_DIR [VARIANT…] [-- fumi options…]
//!
//! Variants change one tokenizer or training setting from the default:
//! `pairs`, `keepcase`, `occurrences`, `noheadernames`, `noreceivedwords`.
//! Without variants the default is measured. Each output line is one
//! (variant, s, x, min_dev, clues) point: three 10-fold cross-validations,
//! the harness's split, the mean over ten harness splits (seeds
//! `spambench-v1`, `s1` … `s9`), and the mean over six online passes from
//! an empty database (score, then learn; orders `spambench-v1`, `s1` … `s5`)
//! with their false positives in all. `TUNE_GRID=full` runs a grid;
//! `TUNE_GRID=options` runs the one point the fumi options give, e.g.
//! `-- --robs 0.1 --min-dev 0.25 --min-dev-above 600`.

use fumi::eval;
use fumi::score::Params;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: tune SPAM_DIR CLEAN_DIR [VARIANT…] [-- fumi options…]");
        std::process::exit(2);
    }
    let split_at = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let variants: Vec<&str> = if split_at > 3 {
        args[3..split_at].iter().map(String::as_str).collect()
    } else {
        vec!["default"]
    };
    let mut argv: Vec<std::ffi::OsString> = vec!["fumi".into()];
    argv.extend(args.iter().skip(split_at + 1).map(Into::into));
    let cli = fumi::cli::parse(&argv).unwrap_or_else(|f| panic!("{}", f.message));
    let (mut msgs, _) = eval::read_messages(&[args[1].clone().into()], false, true);
    msgs.extend(eval::read_messages(&[args[2].clone().into()], false, false).0);
    let grid: Vec<(f64, f64, f64, usize)> = match std::env::var("TUNE_GRID").as_deref() {
        Ok("full") => {
            let mut g = Vec::new();
            for s in [0.1, 0.3, 1.0] {
                for x in [0.4, 0.46, 0.5] {
                    for d in [0.0, 0.1, 0.2] {
                        for c in [50, 150, 0] {
                            g.push((s, x, d, c));
                        }
                    }
                }
            }
            g
        }
        Ok("options") => {
            let p = fumi::cli::engine(&cli).params;
            vec![(p.strength, p.prior, p.min_dev, p.max_clues)]
        }
        // The defaults, the earlier defaults (s 0.3, no min_dev) and
        // neighbours of the defaults.
        _ => vec![
            (0.1, 0.46, 0.25, 0),
            (0.3, 0.46, 0.0, 0),
            (0.05, 0.46, 0.25, 0),
            (0.2, 0.46, 0.25, 0),
            (0.1, 0.46, 0.2, 0),
            (0.1, 0.46, 0.3, 0),
        ],
    };
    println!(
        "{:<16} {:>5} {:>5} {:>5} {:>5} | {:>7} {:>7} {:>7} {:>7} {:>7} | {:>7} {:>7} | {:>7} {:>7} | {:>7} {:>5}",
        "variant",
        "s",
        "x",
        "dev",
        "clues",
        "cv-a",
        "cv-b",
        "cv-c",
        "mean",
        "@0.1%",
        "split",
        "sp@.1%",
        "split10",
        "10@.1%",
        "online6",
        "on-FP"
    );
    for v in variants {
        let mut engine = fumi::cli::engine(&cli);
        let mut opts = engine.tokenizer.options().clone();
        match v {
            "default" => {}
            "pairs" => opts.word_pairs = true,
            "keepcase" => opts.fold_case = false,
            "headernames" => opts.header_names = true,
            "noreceivedwords" => opts.received_words = false,
            "occurrences" => engine.counting = fumi::engine::Counting::Occurrence,
            other => panic!("unknown variant {other}"),
        }
        engine.tokenizer = fumi::token::Tokenizer::new(opts);
        let corpus = eval::build(&engine, msgs.clone());
        for &(strength, prior, min_dev, max_clues) in &grid {
            let p = Params {
                strength,
                prior,
                min_dev,
                max_clues,
                ..engine.params.clone()
            };
            let cvs: Vec<eval::Metrics> = ["a", "b", "c"]
                .iter()
                .map(|seed| eval::metrics(&eval::cross_validate(&corpus, 10, seed, &p)))
                .collect();
            let mean = cvs.iter().map(|m| m.one_minus_auc_pct).sum::<f64>() / 3.0;
            let fnr01 = cvs.iter().map(|m| m.fnr_at_fpr_01.0).sum::<f64>() / 3.0;
            let sp = eval::metrics(&eval::bench_split(&corpus, "spambench-v1", 0.5, &p));
            let seeds = [
                "spambench-v1",
                "s1",
                "s2",
                "s3",
                "s4",
                "s5",
                "s6",
                "s7",
                "s8",
                "s9",
            ];
            let ten: Vec<eval::Metrics> = seeds
                .iter()
                .map(|seed| eval::metrics(&eval::bench_split(&corpus, seed, 0.5, &p)))
                .collect();
            let ten_auc = ten.iter().map(|m| m.one_minus_auc_pct).sum::<f64>() / 10.0;
            let ten_fnr = ten.iter().map(|m| m.fnr_at_fpr_01.0).sum::<f64>() / 10.0;
            let online: Vec<eval::Metrics> = seeds[..6]
                .iter()
                .map(|seed| eval::metrics(&eval::online(&corpus, seed, false, &p)))
                .collect();
            let online_auc = online.iter().map(|m| m.one_minus_auc_pct).sum::<f64>() / 6.0;
            let online_fp: usize = online.iter().map(|m| m.false_positives).sum();
            println!(
                "{v:<16} {strength:>5} {prior:>5} {min_dev:>5} {max_clues:>5} | {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>6.2}% | {:>7.4} {:>6.2}% | {:>7.4} {:>6.2}% | {:>7.4} {:>5}",
                cvs[0].one_minus_auc_pct,
                cvs[1].one_minus_auc_pct,
                cvs[2].one_minus_auc_pct,
                mean,
                100.0 * fnr01,
                sp.one_minus_auc_pct,
                100.0 * sp.fnr_at_fpr_01.0,
                ten_auc,
                100.0 * ten_fnr,
                online_auc,
                online_fp
            );
        }
    }
}
