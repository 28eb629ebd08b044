//! Command-line options. The spellings are bsfilter's, so that procmail
//! recipes and MUA settings (Claws Mail, Sylpheed, Mew) work unchanged.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Parser};

/// fumi (文): a Bayesian spam filter that reads Japanese mail as well as English.
///
/// Without a command, fumi filters: it reads one message from standard input
/// (or one per FILE) and exits 0 if any message is spam, 1 if none is, 3 on
/// error. With --pipe it writes the message to standard output with
/// X-Spam-Flag / X-Spam-Probability headers and exits 0, passing the message
/// through unchanged whatever fails.
#[derive(Parser, Debug, Clone, Default)]
#[command(
    name = "fumi",
    version,
    disable_version_flag = true,
    args_override_self = true,
    after_help = "Exit status: filtering 0 = spam, 1 = clean; --pipe 0; usage error 2; internal error 3.\n\
                  Options may also be set in <home>/fumi.conf, one 'option value' per line."
)]
pub struct Args {
    /// Messages: files, Maildirs, MH folders or directory trees ('-' or none: standard input)
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    // ---- training ----
    /// Learn the messages as clean (ham)
    #[arg(short = 'c', long, help_heading = "Training")]
    pub add_clean: bool,
    /// Learn the messages as spam
    #[arg(short = 's', long, help_heading = "Training")]
    pub add_spam: bool,
    /// Unlearn messages that were learned as clean
    #[arg(short = 'C', long, help_heading = "Training")]
    pub sub_clean: bool,
    /// Unlearn messages that were learned as spam
    #[arg(short = 'S', long, help_heading = "Training")]
    pub sub_spam: bool,
    /// Accepted for bsfilter compatibility; fumi needs no separate probability update
    #[arg(short = 'u', long, help_heading = "Training")]
    pub update: bool,
    /// While filtering, learn each message as its verdict when the verdict is confident
    #[arg(short = 'a', long, help_heading = "Training")]
    pub auto_update: bool,
    /// --auto-update learns spam only above this probability
    #[arg(
        long,
        value_name = "P",
        default_value_t = 0.99,
        help_heading = "Training"
    )]
    pub auto_spam_above: f64,
    /// --auto-update learns clean only below this probability
    #[arg(
        long,
        value_name = "P",
        default_value_t = 0.01,
        help_heading = "Training"
    )]
    pub auto_clean_below: f64,
    /// Drop tokens not trained for DAYS days (with --expire-count: only those also that rare)
    #[arg(long, value_name = "DAYS", help_heading = "Training")]
    pub expire: Option<u32>,
    /// Drop tokens seen at most N times in all (with --expire: only those also that old)
    #[arg(long, value_name = "N", help_heading = "Training")]
    pub expire_count: Option<u32>,

    // ---- output ----
    /// Write the message to standard output with the headers inserted; exit 0
    #[arg(long, help_heading = "Filtering")]
    pub pipe: bool,
    /// Insert X-Spam-Flag: Yes|No
    #[arg(long, help_heading = "Filtering")]
    pub insert_flag: bool,
    /// Insert X-Spam-Probability: 0.123456
    #[arg(long, help_heading = "Filtering")]
    pub insert_probability: bool,
    /// Insert X-Spam-Revision: fumi VERSION
    #[arg(long, help_heading = "Filtering")]
    pub insert_revision: bool,
    /// Header names become X-PREFIX-Flag and X-PREFIX-Probability
    #[arg(
        long,
        value_name = "PREFIX",
        default_value = "Spam",
        help_heading = "Filtering"
    )]
    pub header_prefix: String,
    /// Prefix the Subject of spam
    #[arg(long, help_heading = "Filtering")]
    pub mark_spam_subject: bool,
    /// The prefix for --mark-spam-subject
    #[arg(
        long,
        value_name = "TEXT",
        default_value = "[SPAM] ",
        help_heading = "Filtering"
    )]
    pub spam_subject_prefix: String,
    /// Print the names of the spam inputs
    #[arg(long, help_heading = "Filtering")]
    pub list_spam: bool,
    /// Print the names of the clean inputs
    #[arg(long, help_heading = "Filtering")]
    pub list_clean: bool,
    /// Score every message: PROBABILITY<TAB>VERDICT<TAB>NAME per line, in input order
    #[arg(long, help_heading = "Filtering")]
    pub scan: bool,
    /// Print the clues behind each verdict (token, counts, f(w))
    #[arg(long, help_heading = "Filtering")]
    pub explain: bool,
    /// Split FILEs into messages at "From " lines
    #[arg(long, help_heading = "Filtering")]
    pub mbox: bool,

    // ---- scoring ----
    /// Combining method: rf (Robinson-Fisher), r (Robinson), g (Graham)
    #[arg(short = 'm', long, value_name = "METHOD", default_value = "rf", value_parser = ["rf", "r", "g", "RF", "R", "G"], help_heading = "Scoring")]
    pub method: String,
    /// Spam if the probability is above this (default: rf 0.95, r 0.582, g 0.9)
    #[arg(long, value_name = "P", help_heading = "Scoring")]
    pub spam_cutoff: Option<f64>,
    /// Clean only at or below this; in between the verdict is unsure
    #[arg(long, value_name = "P", help_heading = "Scoring")]
    pub ham_cutoff: Option<f64>,
    /// Robinson's s (strength of the prior)
    #[arg(long, value_name = "S", help_heading = "Scoring")]
    pub robs: Option<f64>,
    /// Robinson's x (probability of an unknown token)
    #[arg(long, value_name = "X", help_heading = "Scoring")]
    pub robx: Option<f64>,
    /// Ignore tokens with |f(w) - 0.5| below this
    #[arg(long, value_name = "D", help_heading = "Scoring")]
    pub min_dev: Option<f64>,
    /// Use at most N clues (0: all)
    #[arg(long, value_name = "N", help_heading = "Scoring")]
    pub max_clues: Option<usize>,
    /// Bytes of a message read for scoring and training (the rest passes through unread)
    #[arg(long, value_name = "BYTES", default_value_t = 2 << 20, help_heading = "Scoring")]
    pub max_message_size: usize,
    /// Bytes of decoded text read from each MIME part
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 10, help_heading = "Scoring")]
    pub max_part_size: usize,

    // ---- inspection ----
    /// Print the message's tokens, CATEGORY<TAB>TOKEN, in order of appearance
    #[arg(long, help_heading = "Inspection")]
    pub show_tokens: bool,
    /// Print the database status as KEY<TAB>VALUE lines
    #[arg(long, help_heading = "Inspection")]
    pub show_db_status: bool,

    // ---- evaluation ----
    /// Measure accuracy on your own mail (--spam/--clean), without touching the database
    #[arg(long, help_heading = "Evaluation")]
    pub eval: bool,
    /// --eval: spam messages (files, Maildirs, directories; mbox files with --mbox)
    #[arg(long, value_name = "PATH", num_args = 1.., help_heading = "Evaluation")]
    pub spam: Vec<PathBuf>,
    /// --eval: clean messages
    #[arg(long, value_name = "PATH", num_args = 1.., help_heading = "Evaluation")]
    pub clean: Vec<PathBuf>,
    /// --eval: number of cross-validation folds
    #[arg(
        long,
        value_name = "K",
        default_value_t = 10,
        help_heading = "Evaluation"
    )]
    pub folds: usize,
    /// --eval: seed of the 50/50 split and of the online order (as ../shared/bench)
    #[arg(
        long,
        value_name = "SEED",
        default_value = "spambench-v1",
        help_heading = "Evaluation"
    )]
    pub seed: String,
    /// --eval: also write an HTML report (ROC curve, score histograms) to FILE
    #[arg(long, value_name = "FILE", help_heading = "Evaluation")]
    pub report: Option<PathBuf>,

    // ---- milter ----
    /// Run as a milter for Postfix or Sendmail on ADDR: inet:127.0.0.1:8894, inet:8894 (loopback) or unix:/path
    #[arg(long, value_name = "ADDR", help_heading = "Milter")]
    pub milter: Option<String>,
    /// Permissions of a unix: milter socket (octal)
    #[arg(
        long,
        value_name = "MODE",
        default_value = "660",
        help_heading = "Milter"
    )]
    pub milter_socket_mode: String,
    /// Reject messages above this spam probability with 550 5.7.1 at the end of DATA
    #[arg(long, value_name = "P", help_heading = "Milter")]
    pub milter_reject: Option<f64>,
    /// Quarantine (Postfix: hold queue) messages above this spam probability
    #[arg(long, value_name = "P", help_heading = "Milter")]
    pub milter_quarantine: Option<f64>,
    /// Do not scan mail from these client networks (CIDR, repeatable or comma-separated)
    #[arg(
        long,
        value_name = "CIDR",
        value_delimiter = ',',
        action = ArgAction::Append,
        help_heading = "Milter"
    )]
    pub milter_skip_network: Vec<String>,
    /// Scan mail from authenticated (SMTP AUTH) clients too; by default it passes unscanned
    #[arg(long, help_heading = "Milter")]
    pub milter_scan_authenticated: bool,
    /// Where the milter logs one line per message: stderr or syslog (facility mail)
    #[arg(long, value_name = "TARGET", default_value = "stderr", value_parser = ["stderr", "syslog"], help_heading = "Milter")]
    pub milter_log: String,

    // ---- general ----
    /// The database directory (default: $FUMI_HOME, else ~/.fumi)
    #[arg(long, value_name = "DIR")]
    pub homedir: Option<PathBuf>,
    /// Read options from FILE (default: <home>/fumi.conf)
    #[arg(long, value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// Print nothing but results
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Print what is done to standard error
    #[arg(short = 'v', long, action = ArgAction::Count)]
    pub verbose: u8,
    /// Print the version
    #[arg(short = 'V', long, alias = "revision")]
    pub version: bool,
}

impl Args {
    pub fn training(&self) -> bool {
        self.add_clean || self.add_spam || self.sub_clean || self.sub_spam
    }

    /// A command that maintains the database instead of filtering.
    pub fn maintenance(&self) -> bool {
        self.training()
            || self.update
            || self.expire.is_some()
            || self.expire_count.is_some()
            || self.show_db_status
    }
}

/// Reads a bsfilter-style configuration file: `option value` per line, long
/// option names without `--`, `#` comments; a value may be quoted to keep
/// leading or trailing spaces.
pub fn config_args(text: &str) -> Vec<OsString> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, rest) = match line.find(char::is_whitespace) {
            Some(i) => (&line[..i], line[i..].trim()),
            None => (line.trim_end(), ""),
        };
        out.push(OsString::from(format!(
            "--{}",
            name.trim_start_matches('-')
        )));
        if !rest.is_empty() {
            let v = if rest.len() >= 2
                && ((rest.starts_with('"') && rest.ends_with('"'))
                    || (rest.starts_with('\'') && rest.ends_with('\'')))
            {
                &rest[1..rest.len() - 1]
            } else {
                rest
            };
            out.push(OsString::from(v));
        }
    }
    out
}

/// `--homedir` and `--config-file` as given on the command line (needed
/// before the configuration file can be read).
pub fn prescan(argv: &[OsString]) -> (Option<PathBuf>, Option<PathBuf>) {
    let mut home = None;
    let mut config = None;
    let mut it = argv.iter().skip(1);
    while let Some(a) = it.next() {
        let s = a.to_string_lossy();
        if s == "--" {
            break;
        }
        for (flag, slot) in [("--homedir", &mut home), ("--config-file", &mut config)] {
            if s == flag {
                if let Some(v) = it.clone().next() {
                    *slot = Some(PathBuf::from(v));
                }
            } else if let Some(v) = s.strip_prefix(&format!("{flag}=")) {
                *slot = Some(PathBuf::from(v));
            }
        }
    }
    (home, config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Args {
        Args::try_parse_from(v).expect("parse")
    }

    #[test]
    fn bsfilter_spellings_and_bundles() {
        let a = parse(&["fumi", "-su", "x"]);
        assert!(a.add_spam && a.update && a.files.len() == 1);
        let a = parse(&["fumi", "-C", "-s", "-u", "f"]);
        assert!(a.sub_clean && a.add_spam && a.update);
        let a = parse(&["fumi", "-c", "-S", "-u"]);
        assert!(a.add_clean && a.sub_spam);
        let a = parse(&[
            "fumi",
            "-a",
            "--pipe",
            "--insert-flag",
            "--insert-probability",
        ]);
        assert!(a.auto_update && a.pipe && a.insert_flag && a.insert_probability);
        assert!(Args::try_parse_from(["fumi", "-m", "x"]).is_err());
        assert_eq!(
            parse(&["fumi", "--spam-cutoff", "0.5", "--spam-cutoff", "0.7"]).spam_cutoff,
            Some(0.7)
        );
    }

    #[test]
    fn config_lines() {
        let a = config_args(
            "# comment\nheader-prefix Junk\n  spam-cutoff 0.6\ninsert-flag\nspam-subject-prefix \"[spam] \"\n",
        );
        let v: Vec<_> = a.iter().map(|s| s.to_string_lossy().into_owned()).collect();
        assert_eq!(
            v,
            [
                "--header-prefix",
                "Junk",
                "--spam-cutoff",
                "0.6",
                "--insert-flag",
                "--spam-subject-prefix",
                "[spam] "
            ]
        );
    }

    #[test]
    fn prescan_finds_home() {
        let argv: Vec<OsString> = ["fumi", "--homedir", "/h", "--config-file=/c", "x"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(
            prescan(&argv),
            (Some(PathBuf::from("/h")), Some(PathBuf::from("/c")))
        );
    }
}
