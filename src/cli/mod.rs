//! The command line: options ([`args`]), inputs ([`input`]), header
//! insertion ([`pipe`]) and the commands themselves (here).
//!
//! Exit status: filtering without `--pipe` 0 if any message is spam, 1
//! otherwise (bsfilter's contract); `--pipe` 0; usage errors 2; internal
//! errors 3, never 1, because 1 means "clean" to every caller. With `--pipe`
//! the original message reaches standard output whatever fails.

pub mod args;
pub mod compat;
pub mod fatal;
pub mod input;
pub mod manual;
mod migrate;
pub mod pipe;

use std::ffi::OsString;
use std::io::{self, BufWriter, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use clap::Parser;
use rayon::prelude::*;

use crate::engine::{Counting, Counts, Engine};
use crate::mail::Limits;
use crate::score::{Method, Outcome, Params, Verdict};
use crate::store::lmdb::{Lmdb, Mode};
use crate::store::{self, Action, Class, ExpirePolicy, Store, TrainReport};
use crate::token::{self, TokenSet, Tokenizer};
use args::Args;
use input::{Message, Source};

/// Exit status for "some message is spam".
pub const EXIT_SPAM: i32 = 0;
/// Exit status for "no message is spam".
pub const EXIT_CLEAN: i32 = 1;
/// Exit status for usage errors.
pub const EXIT_USAGE: i32 = 2;
/// Exit status for internal errors (unreadable database, I/O …).
pub const EXIT_ERROR: i32 = 3;

/// Messages scored per batch.
const BATCH: usize = 1000;

/// Messages read and tokenized at a time for training.
const READ_CHUNK: usize = 1000;

/// Message files read at once by the worker threads (one group past a
/// batch's byte limit at most is held on top of it).
const READ_GROUP: usize = 64;

/// Bytes of messages per batch at most (whatever the count): with the
/// batch being worked on, the one waiting and the one being read, at most
/// three times this is held.
const BATCH_BYTES: usize = 64 << 20;
/// Messages trained per write transaction. Every transaction copies the
/// pages it touches, so few large ones keep the file compact.
const TRAIN_BATCH: usize = 10_000;

/// The training batch: [`TRAIN_BATCH`], or `FUMI_TRAIN_BATCH` (for crash
/// tests that need many commits in one run; see README, "Reliability").
fn train_batch() -> usize {
    std::env::var("FUMI_TRAIN_BATCH")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(TRAIN_BATCH)
}

/// Scans of more inputs than this load every token count into memory first.
const SNAPSHOT_MIN_INPUTS: usize = 64;

/// An error that ends the command with an exit status.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    fn internal(message: impl std::fmt::Display) -> Failure {
        Failure {
            code: EXIT_ERROR,
            message: message.to_string(),
        }
    }

    fn usage(message: impl std::fmt::Display) -> Failure {
        Failure {
            code: EXIT_USAGE,
            message: message.to_string(),
        }
    }
}

impl From<store::Error> for Failure {
    fn from(e: store::Error) -> Self {
        use heed::MdbError as M;
        match &e {
            store::Error::Lmdb(heed::Error::Mdb(
                M::Corrupted | M::PageNotFound | M::Invalid | M::VersionMismatch | M::Panic,
            )) => Failure::internal(format!(
                "{e}: the database is damaged; restore a backup (--import-db) or retrain into a new home"
            )),
            _ => Failure::internal(e),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::internal(e)
    }
}

/// Runs fumi with these arguments (the first is the program name) and
/// returns the exit status.
pub fn run(argv: Vec<OsString>) -> i32 {
    let wants_pipe = argv.iter().any(|a| a == "--pipe");
    let args = match parse(&argv) {
        Ok(a) => a,
        Err(f) => {
            if f.code != 0 {
                if wants_pipe {
                    eprintln!(
                        "fumi: {}; message passed through unchanged",
                        f.message.trim_end()
                    );
                } else {
                    eprintln!("fumi: {}", f.message.trim_end());
                }
                if wants_pipe {
                    // A filter must never eat mail, even when misconfigured.
                    let _ = io::copy(&mut io::stdin().lock(), &mut io::stdout().lock());
                    if f.code == EXIT_ERROR {
                        // Not a usage error (an unsafe configuration file):
                        // the message went through, as for any other failure.
                        return 0;
                    }
                }
            } else {
                print!("{}", f.message);
            }
            return f.code;
        }
    };
    if args.milter.is_some() {
        return crate::milter::run(&argv, args);
    }
    if args.pipe && !args.maintenance() && !args.show_tokens && !args.scan {
        return run_pipe(&args);
    }
    match dispatch(&args) {
        Ok(code) => code,
        Err(f) => {
            eprintln!("fumi: {}", f.message);
            f.code
        }
    }
}

static PARALLEL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Starts the worker threads for batches (at most 8, or RAYON_NUM_THREADS),
/// the first time a batch has several messages: a delivery of one message
/// starts none. Where threads cannot be had (a tight address-space limit, as
/// Dovecot sets for the programs it runs), fumi works on one thread instead
/// of failing.
fn parallel() -> bool {
    *PARALLEL.get_or_init(|| {
        let n = std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map_or(1, |n| n.get())
                    .min(8)
            });
        n > 1
            && rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build_global()
                .is_ok()
    })
}

/// Maps `f` over `items`, on the worker threads when there are several
/// items and the threads could be started.
pub fn par_map<'a, T: Sync, R: Send>(
    items: &'a [T],
    f: impl Fn(&'a T) -> R + Sync + Send,
) -> Vec<R> {
    if items.len() > 1 && parallel() {
        items.par_iter().map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

/// Parses the command line, with the configuration file's options first so
/// that the command line wins.
pub fn parse(argv: &[OsString]) -> Result<Args, Failure> {
    let (home_arg, config_arg) = args::prescan(argv);
    let mut full: Vec<OsString> = argv.iter().take(1).cloned().collect();
    if full.is_empty() {
        full.push("fumi".into());
    }
    let home = resolve_home(home_arg.as_deref());
    let compat = compat::compat_mode(argv);
    let config = config_arg
        .clone()
        .or_else(|| home.as_ref().map(|h| compat::default_config(h, compat)));
    if let Some(path) = config {
        match read_config(&path) {
            Ok(text) => full.extend(args::config_args(&text)),
            Err(ConfigError::Insecure(msg)) => return Err(Failure::internal(msg)),
            Err(ConfigError::Io(e)) if config_arg.is_some() => {
                return Err(Failure::usage(format!(
                    "config file {}: {e}",
                    path.display()
                )));
            }
            Err(ConfigError::Io(e)) if e.kind() != io::ErrorKind::NotFound => {
                // There, but unreadable: running without it could mean other
                // options than the user set (another home, other cutoffs).
                return Err(Failure::internal(format!(
                    "config file {}: {e}",
                    path.display()
                )));
            }
            Err(ConfigError::Io(_)) => {}
        }
    }
    full.extend(argv.iter().skip(1).cloned());
    let mut args = match Args::try_parse_from(&full) {
        Ok(a) => a,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => EXIT_USAGE,
            };
            return Err(Failure {
                code,
                message: e.render().to_string(),
            });
        }
    };
    compat::apply(&mut args);
    validate(&args)?;
    compat::validate(&args)?;
    Ok(args)
}

enum ConfigError {
    Io(io::Error),
    Insecure(String),
}

impl From<io::Error> for ConfigError {
    fn from(e: io::Error) -> Self {
        ConfigError::Io(e)
    }
}

/// Reads a configuration file, refusing one that another user could have
/// written (it can set any option, `--homedir` included): the file must
/// not be group- or world-writable nor owned by another user (root
/// aside), and neither may its directory, unless that directory is sticky
/// (as /tmp is).
fn read_config(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;
    use store::lmdb::writable_by_others;
    let mut file = std::fs::File::open(path)?;
    let refuse = |what: &Path| {
        ConfigError::Insecure(format!(
            "refusing to read the configuration file {}: {} is writable by other users (chmod go-w)",
            path.display(),
            what.display()
        ))
    };
    if writable_by_others(&file.metadata()?) {
        return Err(refuse(path));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(md) = std::fs::metadata(dir)
        && writable_by_others(&md)
        && md.mode() & 0o1000 == 0
    {
        return Err(refuse(dir));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(text)
}

fn validate(a: &Args) -> Result<(), Failure> {
    if !pipe::valid_field_name(&a.header_prefix) {
        return Err(Failure::usage(format!(
            "--header-prefix {:?}: only letters, digits and '-' are allowed",
            a.header_prefix
        )));
    }
    if a.spam_subject_prefix.contains(['\r', '\n']) || a.spam_subject_prefix.len() > 200 {
        return Err(Failure::usage(
            "--spam-subject-prefix must be one short line",
        ));
    }
    for (name, v) in [
        ("--spam-cutoff", a.spam_cutoff),
        ("--ham-cutoff", a.ham_cutoff),
        ("--robx", a.robx),
        ("--min-dev", a.min_dev),
        ("--auto-spam-above", Some(a.auto_spam_above)),
        ("--auto-clean-below", Some(a.auto_clean_below)),
    ] {
        if let Some(v) = v
            && !(0.0..=1.0).contains(&v)
        {
            return Err(Failure::usage(format!(
                "{name} {v}: must be between 0 and 1"
            )));
        }
    }
    if let (Some(h), Some(s)) = (a.ham_cutoff, a.spam_cutoff)
        && h > s
    {
        return Err(Failure::usage(
            "--ham-cutoff must not be above --spam-cutoff",
        ));
    }
    if a.robs.is_some_and(|s| !(s > 0.0 && s.is_finite())) {
        return Err(Failure::usage("--robs must be positive"));
    }
    if !store::redis::valid_prefix(&a.redis_prefix) {
        return Err(Failure::usage(format!(
            "--redis-prefix {:?}: 1-200 characters, no braces",
            a.redis_prefix
        )));
    }
    if a.redis_cluster && a.redis_sentinel.is_some() {
        return Err(Failure::usage(
            "--redis-cluster and --redis-sentinel exclude each other",
        ));
    }
    if a.copy_db_to.is_some() && a.copy_db_from.is_some() {
        return Err(Failure::usage(
            "--copy-db-to and --copy-db-from exclude each other",
        ));
    }
    if a.list_spam && a.list_clean {
        return Err(Failure::usage(
            "--list-spam and --list-clean exclude each other",
        ));
    }
    Ok(())
}

/// `--homedir`, else `$FUMI_HOME`, else `~/.fumi`.
pub fn resolve_home(arg: Option<&Path>) -> Option<PathBuf> {
    if let Some(h) = arg {
        return Some(h.to_path_buf());
    }
    if let Some(h) = std::env::var_os("FUMI_HOME").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(h));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".fumi"))
}

fn home(args: &Args) -> Result<PathBuf, Failure> {
    resolve_home(args.homedir.as_deref())
        .ok_or_else(|| Failure::internal("no home directory: use --homedir or set FUMI_HOME"))
}

/// The scoring parameters the options select.
pub fn params(args: &Args) -> Params {
    let method = Method::from_letters(&args.method).unwrap_or(Method::RobinsonFisher);
    let mut p = Params {
        method,
        spam_cutoff: method.default_spam_cutoff(),
        ..Params::default()
    };
    if let Some(v) = args.spam_cutoff {
        p.spam_cutoff = v;
    }
    p.ham_cutoff = args.ham_cutoff;
    if let Some(v) = args.robs {
        p.strength = v;
    }
    if let Some(v) = args.robx {
        p.prior = v;
    }
    if let Some(v) = args.min_dev {
        p.min_dev = v;
    }
    if let Some(v) = args.min_dev_above {
        p.min_dev_above = v;
    }
    if let Some(v) = args.max_clues {
        p.max_clues = v;
    }
    if let Some(v) = args.young_below {
        p.young_below = v;
    }
    p
}

/// The engine the options select.
pub fn engine(args: &Args) -> Engine {
    let mut opts = token::Options::default();
    if !args.header_prefix.eq_ignore_ascii_case("spam") {
        let p = args.header_prefix.to_ascii_lowercase();
        opts.ignore_headers = vec![
            format!("x-{p}-flag"),
            format!("x-{p}-probability"),
            format!("x-{p}-revision"),
        ];
    }
    Engine {
        tokenizer: Tokenizer::new(opts),
        // At most 1 GiB each: token offsets are 32-bit, and no bound should
        // let sizes overflow.
        limits: Limits {
            max_part_bytes: args.max_part_size.clamp(1024, 1 << 30),
            ..Limits::default()
        },
        params: params(args),
        counting: Counting::Presence,
        max_message_bytes: args.max_message_size.clamp(4096, 1 << 30),
    }
}

fn say(args: &Args, msg: impl std::fmt::Display) {
    if args.verbose > 0 && !args.quiet {
        eprintln!("fumi: {msg}");
    }
}

fn warn(args: &Args, msg: impl std::fmt::Display) {
    if !args.quiet {
        eprintln!("fumi: {msg}");
    }
}

/// Warns when the database was trained with another tokenizer.
fn check_tokenizer(args: &Args, db: &dyn Store, engine: &Engine) -> Result<(), Failure> {
    let current = engine.tokenizer.id();
    let recorded = db.tokenizer_id(&current)?;
    if recorded != current {
        warn(
            args,
            format!(
                "the database was trained with tokenizer '{recorded}', this fumi uses '{current}'; retrain for best results"
            ),
        );
    }
    Ok(())
}

fn dispatch(args: &Args) -> Result<i32, Failure> {
    if args.version {
        println!("fumi {}", env!("CARGO_PKG_VERSION"));
        return Ok(0);
    }
    if let Some(kind) = &args.generate {
        let mut out = io::stdout().lock();
        manual::generate(kind, &mut out)?;
        out.flush()?;
        return Ok(0);
    }
    let engine = engine(args);
    if args.migration() {
        return migrate::run(args, &engine);
    }
    if args.show_tokens {
        return show_tokens(args, &engine);
    }
    if args.eval {
        return evaluate(args, &engine);
    }
    if args.maintenance() {
        let mut code = 0;
        if args.training() {
            code = train(args, &engine)?;
        } else if args.update
            && !args.show_db_status
            && args.expire.is_none()
            && args.expire_count.is_none()
        {
            say(
                args,
                "--update: nothing to do, fumi keeps probabilities current as it learns",
            );
        }
        if args.expire.is_some() || args.expire_count.is_some() {
            let db = open_store(args, Mode::Existing)?;
            let policy = ExpirePolicy {
                max_age_days: args.expire,
                max_count: args.expire_count,
                require_both: true,
            };
            let n = db.expire(&policy)?;
            say(args, format!("expired {n} tokens"));
        }
        if args.copy_db() {
            copy_db(args, &engine)?;
        }
        if args.show_db_status {
            let db = open_store(args, Mode::Existing)?;
            let mut out = io::stdout().lock();
            for (k, v) in db.status()? {
                writeln!(out, "{k}\t{v}")?;
            }
        }
        return Ok(code);
    }
    filter(args, &engine)
}

/// Reads every input, in batches of at most `size` messages (or 64 MiB),
/// calling `f` on each batch.
fn for_each_batch(
    args: &Args,
    size: usize,
    f: impl FnMut(Vec<Message>) -> Result<(), Failure>,
) -> Result<bool, Failure> {
    let (sources, errors) = expand_args(args);
    for e in &errors {
        eprintln!("fumi: {e}");
    }
    Ok(batches(args, &sources, size, f)? || !errors.is_empty())
}

/// The command line's inputs as sources, the directory check of each
/// argument made on the worker threads (a stat each: thousands of file
/// names cost milliseconds on one core).
fn expand_args(args: &Args) -> (Vec<Source>, Vec<String>) {
    let dirs = par_map(&args.files, |a| a.is_dir());
    input::expand_known(&args.files, &dirs, args.mbox)
}

/// Reads `sources` in batches of at most `size` messages (or 64 MiB),
/// calling `f` on each; unreadable sources are reported and skipped. Lists
/// of message files are read by the worker threads; an mbox or a mix with
/// standard input is read by a thread that fills the next batch while `f`
/// works on this one (at most two batches are held). A progress bar is
/// drawn on standard error when it is a terminal. Returns whether a source
/// could not be read.
fn batches(
    args: &Args,
    sources: &[Source],
    size: usize,
    mut f: impl FnMut(Vec<Message>) -> Result<(), Failure>,
) -> Result<bool, Failure> {
    use std::io::IsTerminal;
    let progress = if sources.len() > 1 && !args.quiet && io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(sources.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} {eta}")
        {
            bar.set_style(style);
        }
        Some(bar)
    } else {
        None
    };
    let single = sources.len() <= 1 && !matches!(sources.first(), Some(Source::Mbox(_)));
    let files_only = sources.iter().all(|s| matches!(s, Source::File(_)));
    let had_errors = if files_only && !single {
        // One message per file: the worker threads read the files a group
        // at a time, so reading is as parallel as tokenizing and the first
        // batch does not wait for a reader thread. A batch ends at `size`
        // messages or 64 MiB, checked after each group.
        let mut had_errors = false;
        let mut batch: Vec<Message> = Vec::new();
        let mut bytes = 0usize;
        let mut rest = sources;
        while !rest.is_empty() {
            // Never past `size`: training commits every `size` messages.
            let n = READ_GROUP.min(size.saturating_sub(batch.len()).max(1));
            let (group, after) = rest.split_at(n.min(rest.len()));
            rest = after;
            let read = par_map(group, |src| {
                let mut msg = None;
                input::read_source(src, &mut |m| msg = Some(m)).map(|()| msg)
            });
            for r in read {
                match r {
                    Ok(m) => {
                        bytes += m.as_ref().map_or(0, |m| m.bytes.len());
                        batch.extend(m);
                    }
                    Err(e) => {
                        report_unreadable(progress.as_ref(), &e);
                        had_errors = true;
                    }
                }
            }
            if let Some(bar) = &progress {
                bar.inc(group.len() as u64);
            }
            if batch.len() >= size || bytes >= BATCH_BYTES {
                f(std::mem::take(&mut batch))?;
                bytes = 0;
            }
        }
        if !batch.is_empty() {
            f(batch)?;
        }
        had_errors
    } else if single {
        let mut result = Ok(());
        let had_errors = read_batches(sources, size, None, &mut |b| {
            result = f(b);
            result.is_ok()
        });
        result?;
        had_errors
    } else {
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Message>>(1);
            let bar = progress.clone();
            let reader = scope.spawn(move || {
                read_batches(sources, size, bar.as_ref(), &mut |b| tx.send(b).is_ok())
            });
            let mut result = Ok(());
            for batch in rx.iter() {
                result = f(batch);
                if result.is_err() {
                    break;
                }
            }
            // The reader stops at its next batch once nobody receives.
            drop(rx);
            let had_errors = reader.join().unwrap_or(true);
            result.map(|()| had_errors)
        })?
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    Ok(had_errors)
}

/// Reports an input that cannot be read, above the progress bar if any.
fn report_unreadable(progress: Option<&indicatif::ProgressBar>, e: &str) {
    match progress {
        Some(bar) => bar.suspend(|| eprintln!("fumi: {e}")),
        None => eprintln!("fumi: {e}"),
    }
}

/// Reads `sources` into batches handed to `send`, which returns false to
/// stop. Returns whether a source could not be read.
fn read_batches(
    sources: &[Source],
    size: usize,
    progress: Option<&indicatif::ProgressBar>,
    send: &mut dyn FnMut(Vec<Message>) -> bool,
) -> bool {
    let mut had_errors = false;
    let mut batch: Vec<Message> = Vec::new();
    let mut bytes = 0usize;
    let mut stopped = false;
    for src in sources {
        let res = input::read_source(src, &mut |m| {
            if stopped {
                return;
            }
            bytes += m.bytes.len();
            batch.push(m);
            // Checked per message: one mbox may hold any number of them.
            if batch.len() >= size || bytes >= BATCH_BYTES {
                stopped = !send(std::mem::take(&mut batch));
                bytes = 0;
            }
        });
        if stopped {
            return had_errors;
        }
        if let Err(e) = res {
            report_unreadable(progress, &e);
            had_errors = true;
        }
        if let Some(bar) = progress {
            bar.inc(1);
        }
    }
    if !batch.is_empty() {
        send(batch);
    }
    had_errors
}

fn show_tokens(args: &Args, engine: &Engine) -> Result<i32, Failure> {
    let mut out = BufWriter::new(io::stdout().lock());
    let mut first = true;
    let mut io_err = None;
    let had_errors = for_each_batch(args, BATCH, |batch| {
        for m in batch {
            if args.files.len() > 1 || args.mbox || !first {
                let _ = writeln!(out, "==> {} <==", m.name);
            }
            first = false;
            let raw = &m.bytes[..m.bytes.len().min(engine.max_message_bytes)];
            let mail = crate::mail::parse(raw, &engine.limits);
            engine.tokenizer.tokenize(&mail, &mut |c, t| {
                if let Err(e) = writeln!(out, "{}\t{t}", c.name()) {
                    io_err.get_or_insert(e);
                }
            });
        }
        Ok(())
    })?;
    out.flush()?;
    ready(engine)?;
    if let Some(e) = io_err {
        return Err(e.into());
    }
    Ok(if had_errors { EXIT_ERROR } else { 0 })
}

/// The actions the training flags ask for, unlearning first.
fn training_actions(args: &Args) -> Vec<Action> {
    let mut v = Vec::new();
    if args.sub_clean {
        v.push(Action::Sub(Class::Clean));
    }
    if args.sub_spam {
        v.push(Action::Sub(Class::Spam));
    }
    if args.add_clean {
        v.push(Action::Add(Class::Clean));
    }
    if args.add_spam {
        v.push(Action::Add(Class::Spam));
    }
    v
}

fn train(args: &Args, engine: &Engine) -> Result<i32, Failure> {
    // With --pipe a failure to learn never keeps a message from standard
    // output: it goes through unchanged, with one warning, and fumi exits 0.
    let mut warned = false;
    let mut pass_through = |f: &Failure| {
        if !warned {
            eprintln!(
                "fumi: {}; message passed through unchanged",
                f.message.trim_end()
            );
            warned = true;
        }
    };
    let db = match open_store(args, Mode::Create)
        .and_then(|db| check_tokenizer(args, db, engine).map(|()| db))
    {
        Ok(db) => Some(db),
        Err(f) if args.pipe => {
            pass_through(&f);
            None
        }
        Err(f) => return Err(f),
    };
    let actions = training_actions(args);
    // bsfilter: with --pipe, --insert-flag says Yes for -s/-C and No for -c/-S.
    let flag_yes = args.add_spam || args.sub_clean;
    let mut total = TrainReport::default();
    let mut out = BufWriter::new(io::stdout().lock());
    // Messages are read and tokenized in chunks (the next chunk is read while
    // this one is tokenized) and learned in transactions of `train_batch()`.
    let txn_size = train_batch();
    let mut pending: Vec<(store::Digest, TokenSet)> = Vec::new();
    let mut pending_msgs: Vec<Message> = Vec::new();
    let mut learn = |prepared: &mut Vec<(store::Digest, TokenSet)>,
                     msgs: &mut Vec<Message>|
     -> Result<(), Failure> {
        let learned = db.map(|db| {
            ready(engine)?;
            let ops: Vec<_> = par_map(prepared, |(d, t)| {
                actions
                    .iter()
                    .map(|&a| engine.train_op(*d, a, t))
                    .collect::<Vec<_>>()
            })
            .into_iter()
            .flatten()
            .collect();
            db.train(&ops).map_err(|e| {
                Failure::internal(format!(
                    "learning failed, this batch of {} messages was not learned (the database is as it was before it): {e}",
                    prepared.len()
                ))
            })
        });
        prepared.clear();
        match learned {
            Some(Ok(r)) => {
                total.learned += r.learned;
                total.moved += r.moved;
                total.unlearned += r.unlearned;
                total.unchanged += r.unchanged;
                for m in msgs.drain(..) {
                    let edit = header_edit(args, None, flag_yes);
                    out.write_all(&pipe::rewrite(&m.bytes, &edit, true))?;
                }
            }
            Some(Err(f)) if !args.pipe => return Err(f),
            failed => {
                if let Some(Err(f)) = failed {
                    pass_through(&f);
                }
                for m in msgs.drain(..) {
                    out.write_all(&m.bytes)?;
                }
            }
        }
        Ok(())
    };
    let had_errors = for_each_batch(args, txn_size.min(READ_CHUNK), |chunk| {
        pending.extend(par_map(&chunk, |m| {
            let mut t = engine.tokens(&m.bytes);
            t.compact();
            (engine.digest(&m.bytes), t)
        }));
        if args.pipe {
            pending_msgs.extend(chunk);
        }
        if pending.len() >= txn_size {
            learn(&mut pending, &mut pending_msgs)?;
        }
        Ok(())
    })?;
    if !pending.is_empty() {
        learn(&mut pending, &mut pending_msgs)?;
    }
    out.flush()?;
    say(
        args,
        format!(
            "learned {}, moved {}, unlearned {}, unchanged {}",
            total.learned, total.moved, total.unlearned, total.unchanged
        ),
    );
    Ok(if had_errors { EXIT_ERROR } else { 0 })
}

/// `--auto-update`: learns the confident verdicts collected so far.
fn learn_verdicts(
    db: &dyn Store,
    engine: &Engine,
    learn: &mut Vec<(store::Digest, Action, TokenSet)>,
) -> Result<(), Failure> {
    if learn.is_empty() {
        return Ok(());
    }
    let ops: Vec<_> = learn
        .iter()
        .map(|(d, a, t)| engine.train_op(*d, *a, t))
        .collect();
    db.train(&ops)?;
    learn.clear();
    Ok(())
}

/// The header fields `--pipe` sets for a verdict.
fn header_edit(args: &Args, outcome: Option<&Outcome>, spam: bool) -> pipe::Edit {
    let mut edit = pipe::Edit::default();
    let p = &args.header_prefix;
    if args.insert_revision {
        edit.fields.push((
            format!("X-{p}-Revision"),
            format!("fumi {}", env!("CARGO_PKG_VERSION")),
        ));
    }
    if args.insert_flag {
        edit.fields.push((
            format!("X-{p}-Flag"),
            if spam { "Yes" } else { "No" }.to_string(),
        ));
    }
    if let Some(o) = outcome
        && args.insert_probability
    {
        edit.fields.push((
            format!("X-{p}-Probability"),
            format!("{:.6}", o.probability),
        ));
    }
    if spam && args.mark_spam_subject && outcome.is_some() {
        edit.subject_prefix = Some(args.spam_subject_prefix.clone());
    }
    edit
}

/// What `--auto-update` learns for an outcome, if anything.
fn auto_action(args: &Args, o: &Outcome) -> Option<Action> {
    if o.probability > args.auto_spam_above && o.verdict == Verdict::Spam {
        Some(Action::Add(Class::Spam))
    } else if o.probability < args.auto_clean_below && o.verdict == Verdict::Clean {
        Some(Action::Add(Class::Clean))
    } else {
        None
    }
}

/// `--pipe`: one message from standard input to standard output. Whatever
/// fails, the message goes out unchanged; only a failure to read or write
/// the message itself gives a non-zero status (so the MDA retries).
fn run_pipe(args: &Args) -> i32 {
    let stdin_only =
        args.files.is_empty() || (args.files.len() == 1 && args.files[0].as_os_str() == "-");
    if !stdin_only {
        return match dispatch_pipe_files(args) {
            Ok(c) => c,
            Err(f) => {
                eprintln!("fumi: {}", f.message);
                f.code
            }
        };
    }
    let engine = engine(args);
    let (head, more) = match input::read_stdin_head(engine.max_message_bytes) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("fumi: reading the message: {e}");
            return EXIT_ERROR;
        }
    };
    fatal::hold(&head, more);
    let classified = catch_unwind(AssertUnwindSafe(|| classify_one(args, &engine, &head)));
    let (output, learn) = match classified {
        Ok(Ok((db, scored))) => {
            let spam = scored.outcome.verdict == Verdict::Spam;
            let edit = header_edit(args, Some(&scored.outcome), spam);
            let out = catch_unwind(AssertUnwindSafe(|| pipe::rewrite(&head, &edit, !more)));
            match out {
                Ok(out) => (out, Some((db, scored))),
                Err(_) => {
                    eprintln!(
                        "fumi: internal error while inserting headers; message passed through unchanged"
                    );
                    (head.clone(), None)
                }
            }
        }
        Ok(Err(f)) => {
            eprintln!("fumi: {}; message passed through unchanged", f.message);
            (head.clone(), None)
        }
        Err(_) => {
            eprintln!("fumi: internal error; message passed through unchanged");
            (head.clone(), None)
        }
    };
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    fatal::writing();
    let written = lock
        .write_all(&output)
        .and_then(|_| {
            if more {
                io::copy(&mut io::stdin().lock(), &mut lock).map(|_| ())
            } else {
                Ok(())
            }
        })
        .and_then(|_| lock.flush());
    if let Err(e) = written {
        eprintln!("fumi: writing the message: {e}");
        return EXIT_ERROR;
    }
    drop(lock);
    fatal::delivered();
    if let Some((db, scored)) = learn {
        if args.explain {
            let mut err = io::stderr().lock();
            let _ = explain(&mut err, "-", &scored.outcome, &scored.tokens);
        }
        if args.auto_update
            && let Some(action) = auto_action(args, &scored.outcome)
        {
            let digest = engine.digest(&head);
            let op = engine.train_op(digest, action, &scored.tokens);
            match catch_unwind(AssertUnwindSafe(|| db.train(&[op]))) {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => eprintln!("fumi: --auto-update: {e}"),
                Err(_) => eprintln!("fumi: --auto-update: internal error"),
            }
        }
    }
    0
}

/// `--pipe` with FILE arguments: each message is written out in turn.
fn dispatch_pipe_files(args: &Args) -> Result<i32, Failure> {
    let engine = engine(args);
    let db = open_for_filter(args, &engine);
    let mut out = BufWriter::new(io::stdout().lock());
    let mut ops_msgs = Vec::new();
    let had_errors = for_each_batch(args, BATCH, |batch| {
        for m in batch {
            let scored = match &db {
                Ok(db) => engine
                    .score(&m.bytes, &Counts::Store(*db))
                    .map_err(Failure::from)
                    .and_then(|s| ready(&engine).map(|()| s)),
                Err(f) => Err(Failure::internal(&f.message)),
            };
            match scored {
                Ok(s) => {
                    let spam = s.outcome.verdict == Verdict::Spam;
                    out.write_all(&pipe::rewrite(
                        &m.bytes,
                        &header_edit(args, Some(&s.outcome), spam),
                        true,
                    ))?;
                    if args.auto_update
                        && let Some(a) = auto_action(args, &s.outcome)
                    {
                        ops_msgs.push((engine.digest(&m.bytes), a, s.tokens));
                    }
                }
                Err(f) => {
                    eprintln!("fumi: {}: {}; passed through unchanged", m.name, f.message);
                    out.write_all(&m.bytes)?;
                }
            }
        }
        Ok(())
    })?;
    out.flush()?;
    if let Ok(db) = &db
        && !ops_msgs.is_empty()
    {
        let ops: Vec<_> = ops_msgs
            .iter()
            .map(|(d, a, t)| engine.train_op(*d, *a, t))
            .collect();
        if let Err(e) = db.train(&ops) {
            eprintln!("fumi: --auto-update: {e}");
        }
    }
    Ok(if had_errors { EXIT_ERROR } else { 0 })
}

/// Opens the database the options select: `--db` (a Redis URL or an LMDB
/// directory), else the LMDB environment in the home directory.
pub fn open_store(args: &Args, mode: Mode) -> Result<&'static dyn Store, Failure> {
    if let Some(loc) = args
        .db
        .as_deref()
        .filter(|d| !compat::is_bsfilter_db_type(d))
    {
        return open_location(args, loc, mode);
    }
    let home = home(args)?;
    let db = Lmdb::open(&home, mode).map_err(|e| match e {
        // System errors say what failed, not where.
        store::Error::Io(_) | store::Error::Lmdb(_) => {
            Failure::internal(format!("opening the database in {}: {e}", home.display()))
        }
        e => Failure::from(e),
    })?;
    Ok(db)
}

/// Nothing tokenized so far may be scored or learned if the Japanese
/// dictionary failed to load.
fn ready(engine: &Engine) -> Result<(), Failure> {
    engine.tokenizer.check().map_err(Failure::internal)
}

/// Opens a database by location: a Redis URL (with `--redis-prefix`,
/// `--redis-timeout`, `--redis-ca`) or an LMDB directory.
pub fn open_location(args: &Args, loc: &str, mode: Mode) -> Result<&'static dyn Store, Failure> {
    if store::redis::is_url(loc) {
        let opts = store::redis::Options {
            url: loc.to_string(),
            prefix: args.redis_prefix.clone(),
            timeout: std::time::Duration::from_millis(args.redis_timeout),
            ca_file: args.redis_ca.clone(),
            cluster: args.redis_cluster,
            sentinel: args.redis_sentinel.clone(),
        };
        return Ok(store::redis::Redis::open(&opts, mode)?);
    }
    Ok(Lmdb::open(Path::new(loc), mode)?)
}

/// `--copy-db-to` / `--copy-db-from`: the whole database into an empty one.
fn copy_db(args: &Args, engine: &Engine) -> Result<(), Failure> {
    let (src, dst, other) = match (&args.copy_db_to, &args.copy_db_from) {
        (Some(to), _) => (
            open_store(args, Mode::Existing)?,
            open_location(args, to, Mode::Create)?,
            to,
        ),
        (None, Some(from)) => (
            open_location(args, from, Mode::Existing)?,
            open_store(args, Mode::Create)?,
            from,
        ),
        (None, None) => return Ok(()),
    };
    if std::ptr::addr_eq(src as *const dyn Store, dst as *const dyn Store) {
        return Err(Failure::usage(format!(
            "{}: that is the database itself",
            store::redis::mask_url(other)
        )));
    }
    let r = store::copy::copy(src, dst, &engine.tokenizer.id())?;
    warn(
        args,
        format!(
            "copied {} tokens, {} trained-message digests, {} spam and {} clean messages",
            r.tokens, r.digests, r.totals.spam, r.totals.clean
        ),
    );
    Ok(())
}

fn open_for_filter(args: &Args, engine: &Engine) -> Result<&'static dyn Store, Failure> {
    let db = open_store(args, Mode::Existing)?;
    check_tokenizer(args, db, engine)?;
    Ok(db)
}

fn classify_one(
    args: &Args,
    engine: &Engine,
    raw: &[u8],
) -> Result<(&'static dyn Store, crate::engine::Scored), Failure> {
    let db = open_for_filter(args, engine)?;
    let scored = engine.score(raw, &Counts::Store(db))?;
    ready(engine)?;
    Ok((db, scored))
}

/// Prints the clues behind a verdict.
fn explain(out: &mut dyn Write, name: &str, o: &Outcome, tokens: &TokenSet) -> io::Result<()> {
    let keys: Vec<&[u8]> = tokens.iter().map(|(k, _)| k).collect();
    writeln!(
        out,
        "# {name}\t{}\t{}\t{} clues of {} tokens{}{}",
        crate::score::format_probability(o.probability),
        o.verdict.name(),
        o.clues.len(),
        keys.len(),
        if o.young { " (young database)" } else { "" },
        if o.seen_only {
            " (imported database: unseen tokens ignored)"
        } else {
            ""
        }
    )?;
    writeln!(out, "# f(w)\tspam\tclean\tcategory\ttoken")?;
    let mut clues = o.clues.clone();
    crate::score::sort_clues(&mut clues);
    for c in &clues {
        let (cat, tok) = keys
            .get(c.index)
            .and_then(|k| token::set::split_key(k))
            .map(|(c, t)| (c.name(), t))
            .unwrap_or(("?", "?"));
        writeln!(
            out,
            "{:.6}\t{}\t{}\t{cat}\t{tok}",
            c.f, c.counts.spam, c.counts.clean
        )?;
    }
    Ok(())
}

/// Filtering without `--pipe`: exit status, `--scan`, `--list-*`,
/// `--explain`, `--auto-update`.
fn filter(args: &Args, engine: &Engine) -> Result<i32, Failure> {
    let db = open_for_filter(args, engine)?;
    let (sources, expand_errors) = expand_args(args);
    for e in &expand_errors {
        eprintln!("fumi: {e}");
    }
    let many = sources.len() >= SNAPSHOT_MIN_INPUTS
        || sources.iter().any(|s| matches!(s, Source::Mbox(_)));
    // Loaded once the first batch is in, while the reader reads the next.
    let want_snapshot = many && (args.scan || args.list_spam || args.list_clean);
    let snapshot = std::cell::OnceCell::new();
    let mut any_spam = false;
    let mut out = BufWriter::new(io::stdout().lock());
    let mut learn: Vec<(store::Digest, Action, TokenSet)> = Vec::new();
    let had_errors = batches(args, &sources, BATCH, |batch| {
        if want_snapshot && snapshot.get().is_none() {
            let _ = snapshot.set(db.snapshot()?);
        }
        let counts = match snapshot.get() {
            Some((t, map)) => Counts::Snapshot(t, map),
            None => Counts::Store(db),
        };
        let scored: Vec<_> = par_map(&batch, |m| engine.score(&m.bytes, &counts));
        ready(engine)?;
        for (m, s) in batch.iter().zip(scored) {
            let s = s?;
            let o = &s.outcome;
            let spam = o.verdict == Verdict::Spam;
            any_spam |= spam;
            if args.scan {
                writeln!(
                    out,
                    "{}\t{}\t{}",
                    crate::score::format_probability(o.probability),
                    o.verdict.name(),
                    m.name
                )?;
            }
            if (args.list_spam && spam) || (args.list_clean && o.verdict == Verdict::Clean) {
                writeln!(out, "{}", m.name)?;
            }
            if args.explain {
                explain(&mut out, &m.name, o, &s.tokens)?;
            }
            if !args.scan && !args.explain {
                say(
                    args,
                    format!(
                        "{}\t{}\t{}",
                        m.name,
                        crate::score::format_probability(o.probability),
                        o.verdict.name()
                    ),
                );
            }
            if args.auto_update
                && let Some(a) = auto_action(args, o)
            {
                let mut tokens = s.tokens;
                tokens.compact();
                learn.push((engine.digest(&m.bytes), a, tokens));
            }
        }
        // A big scan learns as it goes, so that memory stays bounded.
        if learn.len() >= train_batch() {
            learn_verdicts(db, engine, &mut learn)?;
        }
        Ok(())
    })?;
    out.flush()?;
    learn_verdicts(db, engine, &mut learn)?;
    if had_errors || !expand_errors.is_empty() {
        return Ok(EXIT_ERROR);
    }
    Ok(if any_spam { EXIT_SPAM } else { EXIT_CLEAN })
}

/// `--eval`: cross-validation, the bench's 50/50 split and an online pass.
fn evaluate(args: &Args, engine: &Engine) -> Result<i32, Failure> {
    use crate::eval;
    if args.spam.is_empty() || args.clean.is_empty() {
        return Err(Failure::usage(
            "--eval needs --spam PATH... and --clean PATH...",
        ));
    }
    let (mut msgs, mut errors) = eval::read_messages(&args.spam, args.mbox, true);
    let (clean, e2) = eval::read_messages(&args.clean, args.mbox, false);
    msgs.extend(clean);
    errors.extend(e2);
    for e in &errors {
        eprintln!("fumi: {e}");
    }
    let corpus = eval::build(engine, msgs);
    ready(engine)?;
    let p = &engine.params;
    let n_spam = corpus.samples.iter().filter(|s| s.spam).count();
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "corpus: {n_spam} spam, {} clean, {} distinct tokens; method {}, spam cutoff {}{}",
        corpus.samples.len() - n_spam,
        corpus.vocabulary,
        p.method.letters(),
        p.spam_cutoff,
        p.ham_cutoff
            .map(|h| format!(", ham cutoff {h}"))
            .unwrap_or_default()
    )?;
    writeln!(
        out,
        "{:<28} {:>9} {:>12} {:>12} {:>8} {:>13} {:>11}",
        "protocol", "(1-AUC)%", "FP", "FN", "unsure", "FNR@FPR<=0.1%", "FNR@FPR<=1%"
    )?;
    let runs = [
        (
            format!("{}-fold cross-validation", args.folds.max(2)),
            eval::cross_validate(&corpus, args.folds, &args.seed, p),
        ),
        (
            format!("50/50 split ({})", args.seed),
            eval::bench_split(&corpus, &args.seed, 0.5, p),
        ),
        (
            "online, train everything".to_string(),
            eval::online(&corpus, &args.seed, false, p),
        ),
        (
            "online, train on error".to_string(),
            eval::online(&corpus, &args.seed, true, p),
        ),
    ];
    for (name, scored) in runs.iter() {
        let m = eval::metrics(scored);
        writeln!(
            out,
            "{name:<28} {:>9.4} {:>12} {:>12} {:>8} {:>12.2}% {:>10.2}%",
            m.one_minus_auc_pct,
            format!(
                "{} ({:.2}%)",
                m.false_positives,
                100.0 * m.false_positives as f64 / m.n_clean.max(1) as f64
            ),
            format!(
                "{} ({:.2}%)",
                m.false_negatives,
                100.0 * m.false_negatives as f64 / m.n_spam.max(1) as f64
            ),
            m.unsure,
            100.0 * m.fnr_at_fpr_01.0,
            100.0 * m.fnr_at_fpr_1.0
        )?;
    }
    // Cutoffs from cross-validation, where every message was scored by a
    // model that had not seen it.
    let cv = &runs[0].1;
    for (target, label) in [(0.001, "0.1%"), (0.0, "none")] {
        let g = eval::suggest(cv, target, 0.01);
        writeln!(
            out,
            "suggested (false positives {label}): --spam-cutoff {:.6} --ham-cutoff {:.6}  \
             → FPR {:.2}%, FNR {:.2}%, unsure {:.2}% (cross-validation)",
            g.spam_cutoff,
            g.ham_cutoff,
            100.0 * g.fpr,
            100.0 * g.fnr,
            100.0 * g.unsure
        )?;
    }
    if let Some(path) = &args.report {
        let title = format!(
            "fumi --eval: {n_spam} spam, {} clean",
            corpus.samples.len() - n_spam
        );
        std::fs::write(path, eval::html_report(&title, &runs))
            .map_err(|e| Failure::internal(format!("{}: {e}", path.display())))?;
        say(args, format!("report written to {}", path.display()));
    }
    Ok(if errors.is_empty() { 0 } else { EXIT_ERROR })
}
