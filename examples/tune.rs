//! How fumi's defaults were chosen: scoring parameters measured by repeated
//! cross-validation and by ../shared/bench's 50/50 split on a labelled corpus.
//!
//!     cargo run --release --example tune -- SPAM_DIR CLEAN_DIR [fumi options…]
//!
//! The fumi options (e.g. `--robs 0.3 --robx 0.46 --min-dev 0.1`) select the
//! point measured; each line of output is one setting.

use fumi::eval;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: tune SPAM_DIR CLEAN_DIR [fumi options…]");
        std::process::exit(2);
    }
    let mut argv: Vec<std::ffi::OsString> = vec!["fumi".into()];
    argv.extend(args[3..].iter().map(Into::into));
    let cli = fumi::cli::parse(&argv).unwrap_or_else(|f| panic!("{}", f.message));
    let engine = fumi::cli::engine(&cli);
    let (mut msgs, _) = eval::read_messages(&[args[1].clone().into()], false, true);
    msgs.extend(eval::read_messages(&[args[2].clone().into()], false, false).0);
    let corpus = eval::build(&engine, msgs);
    let grid_s = [0.1, 0.3, 1.0];
    let grid_x = [0.4, 0.5];
    let grid_d = [0.0, 0.1, 0.25];
    let grid_c = [150usize, 0];
    println!("vocabulary {}", corpus.vocabulary);
    println!(
        "{:>5} {:>5} {:>5} {:>5} | {:>7} {:>7} {:>7} {:>7} | {:>7} {:>7}",
        "s", "x", "dev", "clues", "cv-a", "cv-b", "cv-c", "mean", "split", "sp@.1%"
    );
    for &strength in &grid_s {
        for &prior in &grid_x {
            for &min_dev in &grid_d {
                for &max_clues in &grid_c {
                    let p = fumi::score::Params {
                        strength,
                        prior,
                        min_dev,
                        max_clues,
                        ..engine.params.clone()
                    };
                    let cv: Vec<f64> = ["a", "b", "c"]
                        .iter()
                        .map(|seed| {
                            eval::metrics(&eval::cross_validate(&corpus, 10, seed, &p))
                                .one_minus_auc_pct
                        })
                        .collect();
                    let mean = cv.iter().sum::<f64>() / cv.len() as f64;
                    let sp = eval::metrics(&eval::bench_split(&corpus, "spambench-v1", 0.5, &p));
                    println!(
                        "{strength:>5} {prior:>5} {min_dev:>5} {max_clues:>5} | {:>7.4} {:>7.4} {:>7.4} {:>7.4} | {:>7.4} {:>6.2}%",
                        cv[0],
                        cv[1],
                        cv[2],
                        mean,
                        sp.one_minus_auc_pct,
                        100.0 * sp.fnr_at_fpr_01.0
                    );
                }
            }
        }
    }
}
