//! The import and export commands: `--import-clean`, `--import-spam`,
//! `--import-bogofilter`, `--export-clean`, `--export-spam`,
//! `--export-probability`, `--export-db`, `--import-db`. The formats are in
//! [`crate::migrate`]; FILE arguments say where to read or write, as in
//! bsfilter (none or `-`: standard input or output).

use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::args::Args;
use super::{Failure, check_tokenizer, open_store, say, warn};
use crate::engine::Engine;
use crate::migrate::{self, Imported, bogofilter, bsfilter, native};
use crate::store::lmdb::Mode;
use crate::store::{Class, Store, TokenCounts, today};

impl From<migrate::Error> for Failure {
    fn from(e: migrate::Error) -> Self {
        Failure::internal(e)
    }
}

/// Runs the one migration command the options ask for.
pub(super) fn run(args: &Args, engine: &Engine) -> Result<i32, Failure> {
    let commands = [
        args.import_clean,
        args.import_spam,
        args.import_bogofilter,
        args.import_db,
        args.export_clean,
        args.export_spam,
        args.export_probability,
        args.export_db,
    ];
    if commands.iter().filter(|&&c| c).count() > 1 {
        return Err(Failure::usage(
            "give one --import-* or --export-* command at a time",
        ));
    }
    if args.training()
        || args.expire.is_some()
        || args.expire_count.is_some()
        || args.show_db_status
    {
        return Err(Failure::usage(
            "--import-*/--export-* cannot be combined with training, --expire or --show-db-status",
        ));
    }
    let fold_case = engine.tokenizer.options().fold_case;
    if args.import_clean || args.import_spam {
        let class = if args.import_spam {
            Class::Spam
        } else {
            Class::Clean
        };
        let imported = read_all(args, |data| bsfilter::read(data, class, fold_case))?;
        return store_import(
            args,
            engine,
            imported,
            &format!("bsfilter {}", class.name()),
        );
    }
    if args.import_bogofilter {
        let day = today();
        let imported = read_all(args, |data| bogofilter::read(data, fold_case, day))?;
        return store_import(args, engine, imported, "bogofilter");
    }
    if args.import_db {
        return import_db(args, engine);
    }
    let db = open_store(args, Mode::Existing)?;
    write_to(args, |out| {
        if args.export_clean || args.export_spam {
            let class = if args.export_spam {
                Class::Spam
            } else {
                Class::Clean
            };
            let n = bsfilter::write(db, class, out)?;
            say(args, format!("exported {n} {} tokens", class.name()));
        } else if args.export_probability {
            let n = bsfilter::write_probabilities(db, &engine.params, out)?;
            say(args, format!("exported the f(w) of {n} tokens"));
        } else {
            let dump = native::collect(db)?;
            native::write(&dump, out)?;
            say(
                args,
                format!(
                    "dumped {} tokens, {} trained digests",
                    dump.tokens.len(),
                    dump.trained.len()
                ),
            );
        }
        Ok(())
    })?;
    Ok(0)
}

/// The FILE arguments of an import, read whole (none or `-`: standard input).
fn inputs(args: &Args) -> Result<Vec<(String, Vec<u8>)>, Failure> {
    let mut v = Vec::new();
    if args.files.is_empty() {
        let mut data = Vec::new();
        io::stdin().lock().read_to_end(&mut data)?;
        v.push(("-".to_string(), data));
    }
    for f in &args.files {
        if f.as_os_str() == "-" {
            let mut data = Vec::new();
            io::stdin().lock().read_to_end(&mut data)?;
            v.push(("-".to_string(), data));
        } else {
            let data =
                fs::read(f).map_err(|e| Failure::internal(format!("{}: {e}", f.display())))?;
            v.push((f.display().to_string(), data));
        }
    }
    Ok(v)
}

/// Parses every input with `parse` and merges the results. A file that does
/// not parse stops the import before anything is written.
fn read_all(
    args: &Args,
    parse: impl Fn(&[u8]) -> Result<Imported, migrate::ParseError>,
) -> Result<Imported, Failure> {
    let mut all = Imported::default();
    for (name, data) in inputs(args)? {
        let imp = parse(&data).map_err(|e| Failure::usage(format!("{name}: {e}")))?;
        all.merge(imp);
    }
    Ok(all)
}

fn store_import(
    args: &Args,
    engine: &Engine,
    imported: Imported,
    what: &str,
) -> Result<i32, Failure> {
    let db = open_store(args, Mode::Create)?;
    check_tokenizer(args, db, engine)?;
    let day = today();
    let counts: Vec<(Vec<u8>, TokenCounts)> = imported
        .counts
        .iter()
        .map(|(k, c)| {
            let mut c = *c;
            if c.day == 0 {
                c.day = day;
            }
            (k.clone(), c)
        })
        .collect();
    db.restore_counts(&counts, imported.messages)?;
    let dropped: Vec<String> = imported
        .dropped
        .iter()
        .map(|(why, n)| format!("{why} {n}"))
        .collect();
    warn(
        args,
        format!(
            "imported {what}: {} messages spam, {} clean; {} tokens read, {} stored as {} fumi tokens{}",
            imported.messages.spam,
            imported.messages.clean,
            imported.read,
            imported.read - imported.dropped_total(),
            counts.len(),
            if dropped.is_empty() {
                String::new()
            } else {
                format!(", dropped: {}", dropped.join(", "))
            }
        ),
    );
    Ok(0)
}

/// Is the store empty (no messages, tokens or digests)?
fn is_empty(db: &dyn Store) -> Result<bool, Failure> {
    let t = db.totals()?;
    let mut tokens = 0u64;
    db.for_each(&mut |_, _| tokens += 1)?;
    let mut digests = 0u64;
    db.for_each_trained(&mut |_, _, _| digests += 1)?;
    Ok(t.spam == 0 && t.clean == 0 && tokens == 0 && digests == 0)
}

fn import_db(args: &Args, engine: &Engine) -> Result<i32, Failure> {
    let inputs = inputs(args)?;
    let [(name, data)] = &inputs[..] else {
        return Err(Failure::usage("--import-db reads one dump"));
    };
    let dump = native::read(data).map_err(|e| Failure::usage(format!("{name}: {e}")))?;
    let db = open_store(args, Mode::Create)?;
    if !is_empty(db)? {
        return Err(Failure::usage(
            "--import-db restores into an empty database, and this one is not: \
             use a new --homedir (to merge counts, use --export-clean/--export-spam and --import-clean/--import-spam)",
        ));
    }
    native::restore(&dump, db)?;
    let current = engine.tokenizer.id();
    if let Some(t) = &dump.tokenizer
        && *t != current
    {
        warn(
            args,
            format!(
                "the dump was made with tokenizer '{t}', this fumi uses '{current}'; retrain for best results"
            ),
        );
    }
    say(
        args,
        format!(
            "restored {} tokens, {} trained digests, {} spam and {} clean messages",
            dump.tokens.len(),
            dump.trained.len(),
            dump.messages.spam,
            dump.messages.clean
        ),
    );
    Ok(0)
}

/// Runs `f` on the output: the one FILE argument (created 0600: token
/// counts say a lot about someone's mail), or standard output.
fn write_to(
    args: &Args,
    f: impl FnOnce(&mut dyn Write) -> Result<(), migrate::Error>,
) -> Result<(), Failure> {
    let target = match &args.files[..] {
        [] => None,
        [p] if p.as_os_str() == "-" => None,
        [p] => Some(p.as_path()),
        _ => return Err(Failure::usage("an export writes to one FILE")),
    };
    match target {
        None => {
            let mut out = BufWriter::new(io::stdout().lock());
            f(&mut out)?;
            out.flush()?;
        }
        Some(path) if fs::metadata(path).is_ok_and(|m| !m.is_file()) => {
            // A device or a pipe (/dev/stdout, a FIFO): written in place.
            let file = fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| Failure::internal(format!("{}: {e}", path.display())))?;
            let mut out = BufWriter::new(file);
            f(&mut out)?;
            out.flush()?;
        }
        Some(path) => {
            // A new file beside the target, renamed over it once complete:
            // a full disk or a kill leaves the old file (or none), never a
            // truncated dump, and the result is 0600 even if an older file
            // of that name was not.
            let tmp = temp_beside(path);
            let _ = fs::remove_file(&tmp);
            let file = open_private(&tmp)
                .map_err(|e| Failure::internal(format!("{}: {e}", tmp.display())))?;
            let mut out = BufWriter::new(file);
            let written = f(&mut out)
                .map_err(Failure::from)
                .and_then(|()| Ok(out.flush()?))
                .and_then(|()| Ok(out.get_ref().sync_all()?))
                .and_then(|()| {
                    fs::rename(&tmp, path)
                        .map_err(|e| Failure::internal(format!("{}: {e}", path.display())))
                });
            if written.is_err() {
                let _ = fs::remove_file(&tmp);
            }
            written?;
        }
    }
    Ok(())
}

/// `DIR/.NAME.fumi-tmp-PID` for `DIR/NAME`.
fn temp_beside(path: &Path) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    path.with_file_name(format!(".{name}.fumi-tmp-{}", std::process::id()))
}

fn open_private(path: &Path) -> io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}
