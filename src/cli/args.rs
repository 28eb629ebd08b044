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
    ///
    /// PROBABILITY has at least six decimals and as many more as it takes to
    /// be exact, so that `sort -n` orders even messages far below 0.000001
    /// (the X-Spam-Probability header keeps bsfilter's six).
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
    /// Spam if the probability is above this (default rf 0.7, r 0.582, g 0.9)
    #[arg(long, value_name = "P", help_heading = "Scoring")]
    pub spam_cutoff: Option<f64>,
    /// Clean only at or below this; in between the verdict is unsure
    #[arg(long, value_name = "P", help_heading = "Scoring")]
    pub ham_cutoff: Option<f64>,
    /// Robinson's s, the strength of the prior (default 0.1)
    #[arg(long, value_name = "S", help_heading = "Scoring")]
    pub robs: Option<f64>,
    /// Robinson's x, the probability of an unknown token (default 0.46)
    #[arg(long, value_name = "X", help_heading = "Scoring")]
    pub robx: Option<f64>,
    /// Ignore tokens with |f(w) - 0.5| below this (default 0.25)
    #[arg(long, value_name = "D", help_heading = "Scoring")]
    pub min_dev: Option<f64>,
    /// Apply --min-dev only to messages with more than N distinct tokens; 0: to all (default 600)
    #[arg(long, value_name = "N", help_heading = "Scoring")]
    pub min_dev_above: Option<usize>,
    /// Young database: until it holds N spam and N clean messages, --robs is at least 0.3 and --min-dev is off; after an import, until fumi has trained N of each itself, only tokens the database has seen count; 0: never (default 400)
    #[arg(long, value_name = "N", help_heading = "Scoring")]
    pub young_below: Option<u64>,
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

    // ---- several servers (shared database on Redis/Valkey) ----
    /// The database: redis://[USER:PASS@]HOST:PORT/N, rediss://… (TLS), redis+unix:///PATH?db=N, or an LMDB directory path (default: the home directory); bsfilter's type names (sdbm, gdbm, …) are accepted and ignored
    #[arg(long, value_name = "URL|DIR", help_heading = "Several servers")]
    pub db: Option<String>,
    /// Namespace of this database on the Redis server (one per user or domain)
    #[arg(
        long,
        value_name = "PREFIX",
        default_value = "fumi",
        help_heading = "Several servers"
    )]
    pub redis_prefix: String,
    /// Give up connecting to Redis, and on each Redis command, after MS milliseconds
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 3000,
        help_heading = "Several servers"
    )]
    pub redis_timeout: u64,
    /// --db names the nodes of a Redis Cluster, comma-separated (a database lives on one node)
    #[arg(long, help_heading = "Several servers")]
    pub redis_cluster: bool,
    /// --db names Redis Sentinels (comma-separated HOST:PORT); ask them for the primary called NAME
    #[arg(long, value_name = "NAME", help_heading = "Several servers")]
    pub redis_sentinel: Option<String>,
    /// rediss://: trust the certificate authorities in this PEM file instead of the system's
    #[arg(long, value_name = "FILE", help_heading = "Several servers")]
    pub redis_ca: Option<PathBuf>,
    /// Copy the whole database into an empty one at URL (Redis) or DIR (LMDB)
    #[arg(long, value_name = "URL|DIR", help_heading = "Several servers")]
    pub copy_db_to: Option<String>,
    /// Copy the whole database at URL (Redis) or DIR (LMDB) into this (empty) one
    #[arg(long, value_name = "URL|DIR", help_heading = "Several servers")]
    pub copy_db_from: Option<String>,
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

    // ---- migration (bsfilter's --export-*/--import-*, bogofilter, backups) ----
    /// Add a bsfilter --export-clean dump (FILE, or standard input) to the clean counts
    #[arg(long, help_heading = "Migration and backup")]
    pub import_clean: bool,
    /// Add a bsfilter --export-spam dump (FILE, or standard input) to the spam counts
    #[arg(long, help_heading = "Migration and backup")]
    pub import_spam: bool,
    /// Add a bogofilter dump (bogoutil -d wordlist.db) from FILE or standard input
    #[arg(long, help_heading = "Migration and backup")]
    pub import_bogofilter: bool,
    /// Write the clean counts in bsfilter's export format to FILE (default: standard output)
    #[arg(long, help_heading = "Migration and backup")]
    pub export_clean: bool,
    /// Write the spam counts in bsfilter's export format to FILE (default: standard output)
    #[arg(long, help_heading = "Migration and backup")]
    pub export_spam: bool,
    /// Write every token's f(w) in bsfilter's format to FILE (for inspection; not importable)
    #[arg(long, help_heading = "Migration and backup")]
    pub export_probability: bool,
    /// Write the whole database (counts, days, message counts, trained digests) to FILE
    #[arg(long, help_heading = "Migration and backup")]
    pub export_db: bool,
    /// Restore a --export-db dump from FILE into an empty database
    #[arg(long, help_heading = "Migration and backup")]
    pub import_db: bool,

    // ---- bsfilter options fumi accepts without needing them (see README) ----
    /// Behave as bsfilter (implied when run as `bsfilter`): read <home>/bsfilter.conf if there is no fumi.conf
    #[arg(long, help_heading = "bsfilter compatibility")]
    pub bsfilter_compat: bool,
    /// bsfilter: print every token and the clues; fumi: same as --explain
    #[arg(short = 'd', long, help_heading = "bsfilter compatibility")]
    pub debug: bool,
    /// bsfilter: a line per message; fumi: same as -v
    #[arg(long, help_heading = "bsfilter compatibility")]
    pub show_process: bool,
    /// No effect: fumi segments Japanese with its built-in IPADIC dictionary
    #[arg(short = 'j', long, value_name = "bigram|block|mecab", value_parser = parse_jtokenizer, hide_short_help = true, help_heading = "bsfilter compatibility")]
    pub jtokenizer: Option<String>,
    /// No effect: fumi limits by bytes (--max-message-size, --max-part-size)
    #[arg(
        long,
        value_name = "N",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub max_line: Option<String>,
    /// No effect: fumi has no lookup fallback; it folds case when it learns
    #[arg(
        short = 'D',
        long,
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub disable_degeneration: bool,
    /// No effect: fumi always decodes every charset to Unicode
    #[arg(
        long = "disable-utf-8",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub disable_utf_8: bool,
    /// No effect: fumi chooses the headers it reads itself
    #[arg(
        long,
        value_name = "H1,H2,...",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub refer_header: Option<String>,
    /// No effect: fumi already reads every header that says something about the sender
    #[arg(long, hide_short_help = true, help_heading = "bsfilter compatibility")]
    pub refer_all_header: bool,
    /// No effect (header tokens are always used)
    #[arg(
        short = 'H',
        long,
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub ignore_header: bool,
    /// No effect (body tokens are always used)
    #[arg(
        short = 'B',
        long,
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub ignore_body: bool,
    /// No effect: fumi reads the HTML and the plain text part
    #[arg(long, hide_short_help = true, help_heading = "bsfilter compatibility")]
    pub ignore_plain_text_part: bool,
    /// No effect: fumi reads all of an HTML part
    #[arg(long, hide_short_help = true, help_heading = "bsfilter compatibility")]
    pub ignore_after_last_atag: bool,
    /// No effect: fumi splits words by Unicode rules
    #[arg(
        long,
        value_name = "CHARS",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub mark_in_token: Option<String>,
    /// No effect: fumi expires by age and count instead (--expire, --expire-count)
    #[arg(
        long,
        value_name = "N",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub max_mail: Option<String>,
    /// No effect (see --max-mail)
    #[arg(
        long,
        value_name = "N",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub min_mail: Option<String>,
    /// No effect: fumi never prints bsfilter's "new" token lines
    #[arg(long, hide_short_help = true, help_heading = "bsfilter compatibility")]
    pub show_new_token: bool,
    /// No effect: fumi runs no daemon (bsfilter used it for --pop)
    #[arg(
        long,
        value_name = "FILE",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub pid_file: Option<String>,
    /// Not implemented: an error (exit 2); filter at delivery instead (README: procmail, Dovecot)
    #[arg(long, help_heading = "bsfilter compatibility")]
    pub imap: bool,
    /// Not implemented: an error (exit 2); filter at delivery instead (README: procmail, Dovecot)
    #[arg(long, help_heading = "bsfilter compatibility")]
    pub pop: bool,
    /// Only meaningful with --imap/--pop: accepted (e.g. from bsfilter.conf), no effect
    #[arg(
        long,
        value_name = "HOST",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub imap_server: Option<String>,
    /// Only with --imap: no effect
    #[arg(
        long,
        value_name = "PORT",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub imap_port: Option<String>,
    /// Only with --imap: no effect
    #[arg(
        long,
        value_name = "METHOD",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub imap_auth: Option<String>,
    /// Only with --imap: no effect
    #[arg(
        long,
        value_name = "USER",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub imap_user: Option<String>,
    /// Only with --imap: no effect
    #[arg(
        long,
        value_name = "PASSWORD",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub imap_password: Option<String>,
    /// Only with --imap: no effect
    #[arg(
        long,
        value_name = "FOLDER",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub imap_folder_clean: Option<String>,
    /// Only with --imap: no effect
    #[arg(
        long,
        value_name = "FOLDER",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub imap_folder_spam: Option<String>,
    /// Only with --imap: no effect
    #[arg(long, hide_short_help = true, help_heading = "bsfilter compatibility")]
    pub imap_fetch_unseen: bool,
    /// Only with --imap: no effect
    #[arg(long, hide_short_help = true, help_heading = "bsfilter compatibility")]
    pub imap_fetch_unflagged: bool,
    /// Only with --imap: no effect
    #[arg(long, hide_short_help = true, help_heading = "bsfilter compatibility")]
    pub imap_reset_seen_flag: bool,
    /// Only with --imap/--pop: no effect
    #[arg(long, hide_short_help = true, help_heading = "bsfilter compatibility")]
    pub ssl: bool,
    /// Only with --imap/--pop: no effect
    #[arg(
        long,
        value_name = "FILE|DIR",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub ssl_cert: Option<String>,
    /// Only with --pop: no effect
    #[arg(
        long,
        value_name = "HOST",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub pop_server: Option<String>,
    /// Only with --pop: no effect
    #[arg(
        long,
        value_name = "PORT",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub pop_port: Option<String>,
    /// Only with --pop: no effect
    #[arg(
        long,
        value_name = "ADDRESS",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub pop_proxy_if: Option<String>,
    /// Only with --pop: no effect
    #[arg(
        long,
        value_name = "PORT",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub pop_proxy_port: Option<String>,
    /// Only with --pop: no effect
    #[arg(
        long,
        value_name = "USER",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub pop_user: Option<String>,
    /// Only with --pop: no effect (may be repeated)
    #[arg(long, value_name = "SERVER:PORT:[IF]:PROXYPORT[:USER]", action = ArgAction::Append, hide_short_help = true, help_heading = "bsfilter compatibility")]
    pub pop_proxy_set: Vec<String>,
    /// Only with --pop: no effect
    #[arg(
        long,
        value_name = "BYTES",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub pop_max_size: Option<String>,
    /// Windows task tray (bsfilterw): no effect
    #[arg(long, hide_short_help = true, help_heading = "bsfilter compatibility")]
    pub tasktray: bool,
    /// Windows task tray icon (bsfilterw): no effect
    #[arg(
        long,
        value_name = "N",
        hide_short_help = true,
        help_heading = "bsfilter compatibility"
    )]
    pub icon_number: Option<String>,

    /// Write the manual page (man) or a shell completion script (bash, zsh, fish) to standard output
    #[arg(long, value_name = "KIND", value_parser = ["man", "bash", "zsh", "fish"], hide = true)]
    pub generate: Option<String>,
}

impl Args {
    pub fn training(&self) -> bool {
        self.add_clean || self.add_spam || self.sub_clean || self.sub_spam
    }

    /// A command that maintains the database instead of filtering.
    pub fn maintenance(&self) -> bool {
        self.training()
            || self.migration()
            || self.update
            || self.expire.is_some()
            || self.expire_count.is_some()
            || self.show_db_status
            || self.copy_db()
    }

    /// `--copy-db-to` or `--copy-db-from`.
    pub fn copy_db(&self) -> bool {
        self.copy_db_to.is_some() || self.copy_db_from.is_some()
    }
}

impl Args {
    /// An import or export command (bsfilter's maintenance mode).
    pub fn migration(&self) -> bool {
        self.import_clean
            || self.import_spam
            || self.import_bogofilter
            || self.export_clean
            || self.export_spam
            || self.export_probability
            || self.export_db
            || self.import_db
    }
}

/// bsfilter's `--jtokenizer` values (case-insensitive, as bsfilter); chasen
/// and kakasi are the older releases' names.
fn parse_jtokenizer(v: &str) -> Result<String, String> {
    let l = v.to_ascii_lowercase();
    if ["bigram", "block", "mecab", "chasen", "kakasi"].contains(&l.as_str()) {
        Ok(l)
    } else {
        Err("expected bigram, block or mecab".into())
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

    /// The defaults `--help` states for the scoring options are those
    /// `score::Params` uses.
    #[test]
    fn help_states_the_scoring_defaults() {
        use clap::CommandFactory as _;
        let p = crate::score::Params::default();
        let cmd = Args::command();
        let help = |id: &str| {
            cmd.get_arguments()
                .find(|a| a.get_id() == id)
                .and_then(|a| a.get_help())
                .map(|h| h.to_string())
                .unwrap_or_default()
        };
        for (id, value) in [
            ("robs", p.strength.to_string()),
            ("robx", p.prior.to_string()),
            ("min_dev", p.min_dev.to_string()),
            ("min_dev_above", p.min_dev_above.to_string()),
            ("young_below", p.young_below.to_string()),
            ("spam_cutoff", format!("rf {}", p.spam_cutoff)),
        ] {
            let h = help(id);
            assert!(h.contains(&format!("(default {value}")), "{id}: {h}");
        }
        assert!(help("young_below").contains(&crate::score::YOUNG_STRENGTH.to_string()));
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
