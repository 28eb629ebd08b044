//! The LMDB store: one environment per home directory, with three named
//! databases:
//!
//! * `tokens`: key `[category] ++ token`, value three varints (spam count,
//!   clean count, last-trained day);
//! * `trained`: key the 16-byte digest of a trained message, value its class
//!   and the day it was trained;
//! * `meta`: message counts, format version, tokenizer id, dates.
//!
//! Every training batch is one write transaction, so the message counts can
//! never disagree with the token counts, whatever kills the process. Readers
//! never block; writers from several processes take turns on LMDB's lock. A
//! full map is grown and the transaction retried; a map grown by another
//! process is adopted.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use heed::types::Bytes;
use heed::{
    CommitOrAbort, Database, Env, EnvFlags, EnvOpenOptions, PutFlags, RoTxn, RwTxn, WithoutTls,
};
use rustc_hash::FxHashMap;

use super::{
    Action, Class, Digest, Error, ExpirePolicy, Result, Snapshot, Store, TokenCounts, Totals,
    TrainOp, TrainReport, decode_counts, encode_counts, today,
};

/// The on-disk format this code writes.
pub const FORMAT_VERSION: u32 = 1;

const MIN_MAP_SIZE: usize = 32 << 20;
const MAX_MAP_SIZE: usize = 1 << 40;

/// A training batch reads the counts it updates by walking the whole token
/// table when the table has at most this many tokens per batch token, and
/// by one search per token otherwise (a walk visits a token in a few tens
/// of nanoseconds, a search costs a few hundred).
const MERGE_RATIO: usize = 4;

/// How to open a home.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Create the home and the database if needed (training).
    Create,
    /// The database must exist; open it for writing if possible, otherwise
    /// read-only (filtering).
    Existing,
}

type Db = Database<'static, Bytes, Bytes>;

/// An open LMDB home.
pub struct Lmdb {
    env: &'static Env<WithoutTls>,
    tokens: Db,
    trained: Db,
    meta: Db,
    read_only: bool,
    path: PathBuf,
    /// Serializes resizes and write transactions inside this process.
    write_lock: Mutex<()>,
}

fn registry() -> &'static Mutex<HashMap<PathBuf, &'static Lmdb>> {
    static R: OnceLock<Mutex<HashMap<PathBuf, &'static Lmdb>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// Initial map size: twice the data file, at least 32 MiB; `FUMI_MAP_SIZE`
/// (bytes) if set, for tests of growth. The map is only address space, but
/// a small one keeps fumi working under address-space limits (Dovecot gives
/// the programs it runs 256 MiB); a write that needs more grows it.
fn initial_map_size(dir: &Path) -> usize {
    if let Some(v) = std::env::var("FUMI_MAP_SIZE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        return v.max(64 << 10) / 4096 * 4096;
    }
    let file = fs::metadata(dir.join("data.mdb"))
        .map(|m| m.len() as usize)
        .unwrap_or(0);
    (file.saturating_mul(2)).max(MIN_MAP_SIZE).div_ceil(1 << 20) * (1 << 20)
}

/// Can a user other than this process's (and root) change `md`'s file?
/// Group- or world-writable, or owned by someone else. (Root, who may
/// administer other users' homes, is only held to the mode bits.)
pub fn writable_by_others(md: &fs::Metadata) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    md.mode() & 0o022 != 0 || (me != 0 && md.uid() != me && md.uid() != 0)
}

/// Refuses a home, data file or lock file that another user could write:
/// whoever can write them decides every verdict (and the lock file is
/// shared memory every reader and writer trusts).
fn check_permissions(path: &Path) -> Result<()> {
    for p in [
        path.to_path_buf(),
        path.join("data.mdb"),
        path.join("lock.mdb"),
    ] {
        if let Ok(md) = fs::metadata(&p)
            && writable_by_others(&md)
        {
            return Err(Error::Insecure(p.display().to_string()));
        }
    }
    Ok(())
}

/// A data file shorter than the pages its last commit uses (truncated by a
/// copy, a full disk or a bad restore) would make LMDB read past the end of
/// its memory map, which kills the process with SIGBUS: refuse it before
/// any page is read.
fn check_length(env: &Env<WithoutTls>, path: &Path) -> Result<()> {
    let info = env.info();
    let page = env.unnamed_database_stat().page_size as u64;
    let needed = (info.last_page_number as u64 + 1).saturating_mul(page);
    let len = fs::metadata(path.join("data.mdb"))?.len();
    if len < needed {
        return Err(Error::Corrupt(format!(
            "{} is truncated: {len} bytes, its last commit needs {needed}",
            path.join("data.mdb").display()
        )));
    }
    Ok(())
}

impl Lmdb {
    /// Opens (or with [`Mode::Create`] creates) the database in `dir`. One
    /// process opens a home once; later calls return the same handle.
    pub fn open(dir: &Path, mode: Mode) -> Result<&'static Lmdb> {
        if mode == Mode::Create {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        } else if !dir.join("data.mdb").is_file() {
            return Err(Error::Missing(dir.display().to_string()));
        }
        let key = fs::canonicalize(dir)?;
        let mut reg = registry().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(db) = reg.get(&key) {
            return Ok(db);
        }
        check_permissions(&key)?;
        let db = match Self::open_env(&key, false, initial_map_size(&key)) {
            Ok(db) => db,
            Err(Error::Io(e))
                if mode == Mode::Existing
                    && matches!(
                        e.kind(),
                        std::io::ErrorKind::PermissionDenied
                            | std::io::ErrorKind::ReadOnlyFilesystem
                    ) =>
            {
                Self::open_env(&key, true, initial_map_size(&key))?
            }
            Err(Error::Lmdb(heed::Error::Mdb(heed::MdbError::Other(code))))
                if mode == Mode::Existing && (code == libc_eacces() || code == libc_erofs()) =>
            {
                Self::open_env(&key, true, initial_map_size(&key))?
            }
            Err(e) => return Err(e),
        };
        let db: &'static Lmdb = Box::leak(Box::new(db));
        reg.insert(key, db);
        Ok(db)
    }

    fn open_env(path: &Path, read_only: bool, map_size: usize) -> Result<Lmdb> {
        let mut opts = EnvOpenOptions::new().read_txn_without_tls();
        opts.map_size(map_size).max_dbs(4).max_readers(510);
        if read_only {
            // SAFETY: READ_ONLY only restricts what this process may do.
            unsafe {
                opts.flags(EnvFlags::READ_ONLY);
            }
        }
        // SAFETY: the environment is opened once per process (see the
        // registry) and never closed, and its files are only used by LMDB.
        let env = unsafe { opts.open(path)? };
        check_length(&env, path)?;
        let env: &'static Env<WithoutTls> = Box::leak(Box::new(env));
        if !read_only {
            let _ = env.clear_stale_readers();
        }
        let (tokens, trained, meta) = if read_only {
            let rtxn = env.read_txn()?;
            env.open_databases_and_commit(rtxn, |opener, rtxn| {
                let t = opener.open_database::<Bytes, Bytes>(rtxn, Some("tokens"))?;
                let d = opener.open_database::<Bytes, Bytes>(rtxn, Some("trained"))?;
                let m = opener.open_database::<Bytes, Bytes>(rtxn, Some("meta"))?;
                match (t, d, m) {
                    (Some(t), Some(d), Some(m)) => Ok(CommitOrAbort::Commit((t, d, m))),
                    _ => Ok::<_, heed::Error>(CommitOrAbort::Abort(())),
                }
            })?
            .commit()
            .ok_or_else(|| Error::Corrupt("missing tables".into()))?
        } else {
            let wtxn = env.write_txn()?;
            env.create_databases_and_commit(wtxn, |opener, wtxn| {
                let t = opener.create_database::<Bytes, Bytes>(wtxn, Some("tokens"))?;
                let d = opener.create_database::<Bytes, Bytes>(wtxn, Some("trained"))?;
                let m = opener.create_database::<Bytes, Bytes>(wtxn, Some("meta"))?;
                if m.get(wtxn, b"format")?.is_none() {
                    m.put(wtxn, b"format", &FORMAT_VERSION.to_le_bytes())?;
                    m.put(wtxn, b"created", &today().to_le_bytes())?;
                }
                Ok::<_, heed::Error>(CommitOrAbort::<_, ()>::Commit((t, d, m)))
            })?
            .commit()
            .ok_or_else(|| Error::Corrupt("cannot create tables".into()))?
        };
        let db = Lmdb {
            env,
            tokens,
            trained,
            meta,
            read_only,
            path: path.to_path_buf(),
            write_lock: Mutex::new(()),
        };
        let version = db.read(|r| db.meta_u64(r, b"format"))?;
        if version > FORMAT_VERSION as u64 {
            return Err(Error::Version(version as u32));
        }
        Ok(db)
    }

    /// Is the database open read-only?
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in a read transaction, adopting a map grown by another process.
    fn read<T>(&self, f: impl Fn(&RoTxn<'_>) -> Result<T>) -> Result<T> {
        let rtxn = self.read_txn()?;
        f(&rtxn)
    }

    /// A read transaction for iterating, adopting a map grown elsewhere.
    fn read_txn(&self) -> Result<RoTxn<'static, WithoutTls>> {
        for _ in 0..8 {
            match self.env.read_txn() {
                Ok(r) => return Ok(r),
                Err(heed::Error::Mdb(heed::MdbError::MapResized)) => self.adopt_map()?,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Corrupt("the map keeps being resized".into()))
    }

    fn adopt_map(&self) -> Result<()> {
        let _g = self.write_lock.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: resize(0) adopts the size set by another process; no
        // transaction of this process is open while the write lock is held
        // by a caller that is between transactions.
        unsafe { self.env.resize(0)? };
        Ok(())
    }

    /// Runs `f` in a write transaction and commits; on a full map, grows it
    /// and runs `f` again from scratch.
    fn write<T>(&self, f: impl Fn(&mut RwTxn<'_>) -> Result<T>) -> Result<T> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        let _g = self.write_lock.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..40 {
            let mut wtxn = match self.env.write_txn() {
                Ok(w) => w,
                Err(heed::Error::Mdb(heed::MdbError::MapResized)) => {
                    // SAFETY: no transaction of ours is open (write lock held).
                    unsafe { self.env.resize(0)? };
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let full = match f(&mut wtxn) {
                Ok(v) => match wtxn.commit() {
                    Ok(()) => return Ok(v),
                    Err(heed::Error::Mdb(heed::MdbError::MapFull)) => true,
                    Err(e) => return Err(e.into()),
                },
                Err(Error::Lmdb(heed::Error::Mdb(heed::MdbError::MapFull))) => {
                    wtxn.abort();
                    true
                }
                Err(e) => return Err(e),
            };
            if full {
                let size = self.env.info().map_size;
                if size >= MAX_MAP_SIZE {
                    return Err(Error::Lmdb(heed::Error::Mdb(heed::MdbError::MapFull)));
                }
                // SAFETY: the transaction was dropped; the write lock keeps
                // other threads of this process out.
                unsafe { self.env.resize(size * 2)? };
            }
        }
        Err(Error::Lmdb(heed::Error::Mdb(heed::MdbError::MapFull)))
    }

    fn meta_u64(&self, txn: &RoTxn<'_>, key: &[u8]) -> Result<u64> {
        match self.meta.get(txn, key)? {
            None => Ok(0),
            Some(v) if v.len() == 8 => Ok(u64::from_le_bytes(v.try_into().unwrap_or([0; 8]))),
            Some(v) if v.len() == 4 => {
                Ok(u32::from_le_bytes(v.try_into().unwrap_or([0; 4])) as u64)
            }
            Some(_) => Err(Error::Corrupt(format!(
                "meta {}",
                String::from_utf8_lossy(key)
            ))),
        }
    }

    fn totals_in(&self, txn: &RoTxn<'_>) -> Result<Totals> {
        Ok(Totals {
            spam: self.meta_u64(txn, b"spam_messages")?,
            clean: self.meta_u64(txn, b"clean_messages")?,
            imported_spam: self.meta_u64(txn, b"imported_spam_messages")?,
            imported_clean: self.meta_u64(txn, b"imported_clean_messages")?,
        })
    }

    fn put_totals(&self, w: &mut RwTxn<'_>, t: Totals) -> Result<()> {
        self.meta.put(w, b"spam_messages", &t.spam.to_le_bytes())?;
        self.meta
            .put(w, b"clean_messages", &t.clean.to_le_bytes())?;
        // Only databases that were ever imported into carry these.
        for (key, n) in [
            (&b"imported_spam_messages"[..], t.imported_spam),
            (&b"imported_clean_messages"[..], t.imported_clean),
        ] {
            if n > 0 || self.meta.get(w, key)?.is_some() {
                self.meta.put(w, key, &n.to_le_bytes())?;
            }
        }
        Ok(())
    }

    fn counts_of(&self, txn: &RoTxn<'_>, key: &[u8]) -> Result<TokenCounts> {
        match self.tokens.get(txn, key)? {
            None => Ok(TokenCounts::default()),
            Some(v) => decode_counts(v).ok_or_else(|| Error::Corrupt("token value".into())),
        }
    }

    /// The stored counts of `sorted` keys (ascending, distinct). When the
    /// database holds few tokens next to the batch (a new or young one, or
    /// a big batch), one ordered pass over it beats a B-tree search per key.
    fn current_counts<V>(&self, w: &RwTxn<'_>, sorted: &[(&[u8], V)]) -> Result<Vec<TokenCounts>> {
        let stored = self.tokens.len(w)? as usize;
        if stored > sorted.len().saturating_mul(MERGE_RATIO) {
            return sorted.iter().map(|(k, _)| self.counts_of(w, k)).collect();
        }
        let mut out = vec![TokenCounts::default(); sorted.len()];
        let mut i = 0;
        for item in self.tokens.iter(w)? {
            let (k, v) = item?;
            while i < sorted.len() && sorted[i].0 < k {
                i += 1;
            }
            let Some((want, _)) = sorted.get(i) else {
                break;
            };
            if *want == k {
                out[i] = decode_counts(v).ok_or_else(|| Error::Corrupt("token value".into()))?;
            }
        }
        Ok(out)
    }

    /// Adds signed deltas to tokens, in key order; tokens reaching zero in
    /// both classes are deleted.
    fn apply_deltas(&self, w: &mut RwTxn<'_>, deltas: FxHashMap<&[u8], (i64, i64)>) -> Result<()> {
        let mut sorted: Vec<_> = deltas.into_iter().collect();
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        self.apply_sorted(w, sorted)
    }

    /// [`Lmdb::apply_deltas`] with the deltas already in ascending key order,
    /// each key once.
    fn apply_sorted(&self, w: &mut RwTxn<'_>, sorted: Vec<(&[u8], (i64, i64))>) -> Result<()> {
        let day = today();
        let mut buf = Vec::with_capacity(16);
        let current = self.current_counts(w, &sorted)?;
        let mut doomed = Vec::new();
        // One cursor writes every key in ascending order: LMDB then finds
        // most keys on the leaf page the cursor is already on, instead of
        // searching the tree from its root for each.
        let mut cursor = self.tokens.iter_mut(w)?;
        for ((key, (ds, dc)), cur) in sorted.into_iter().zip(current) {
            if ds == 0 && dc == 0 {
                continue;
            }
            let next = TokenCounts {
                spam: (cur.spam as i64 + ds).clamp(0, u32::MAX as i64) as u32,
                clean: (cur.clean as i64 + dc).clamp(0, u32::MAX as i64) as u32,
                day: if ds > 0 || dc > 0 { day } else { cur.day },
            };
            if next.spam == 0 && next.clean == 0 {
                doomed.push(key);
            } else {
                encode_counts(next, &mut buf);
                // SAFETY: neither `key` (a batch token) nor `buf` points into
                // the database. Without MDB_CURRENT this is an ordinary put
                // (insert or overwrite) that starts from the cursor's page.
                unsafe { cursor.put_current_with_options::<Bytes>(PutFlags::empty(), key, &buf)? };
            }
        }
        drop(cursor);
        for key in doomed {
            self.tokens.delete(w, key)?;
        }
        Ok(())
    }

    fn restore_counts_in(
        &self,
        w: &mut RwTxn<'_>,
        counts: &[(Vec<u8>, TokenCounts)],
        messages: Totals,
    ) -> Result<()> {
        let mut buf = Vec::with_capacity(16);
        for (key, c) in counts {
            if key.is_empty() || (c.spam == 0 && c.clean == 0) {
                continue;
            }
            let cur = self.counts_of(w, key)?;
            let next = TokenCounts {
                spam: cur.spam.saturating_add(c.spam),
                clean: cur.clean.saturating_add(c.clean),
                day: cur.day.max(c.day),
            };
            encode_counts(next, &mut buf);
            self.tokens.put(w, key, &buf)?;
        }
        let t = self.totals_in(w)?.plus(messages);
        self.put_totals(w, t)
    }

    fn add_trained_in(&self, w: &mut RwTxn<'_>, entries: &[(Digest, Class, u32)]) -> Result<()> {
        for (digest, class, day) in entries {
            let mut v = vec![class_byte(*class)];
            v.extend_from_slice(&day.to_le_bytes());
            self.trained.put(w, digest, &v)?;
        }
        Ok(())
    }

    /// Size of the data file in bytes.
    pub fn file_size(&self) -> u64 {
        fs::metadata(self.path.join("data.mdb"))
            .map(|m| m.len())
            .unwrap_or(0)
    }

    /// Writes a compacted copy of the database to `dest` (a directory).
    pub fn compact_to(&self, dest: &Path) -> Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dest)?;
        self.env
            .copy_to_path(dest.join("data.mdb"), heed::CompactionOption::Enabled)?;
        Ok(())
    }
}

fn libc_eacces() -> i32 {
    13
}

fn libc_erofs() -> i32 {
    30
}

fn class_from_byte(b: u8) -> Option<Class> {
    match b {
        b's' => Some(Class::Spam),
        b'c' => Some(Class::Clean),
        _ => None,
    }
}

fn class_byte(c: Class) -> u8 {
    match c {
        Class::Spam => b's',
        Class::Clean => b'c',
    }
}

fn bump(t: &mut Totals, c: Class, by: i64) {
    let v = match c {
        Class::Spam => &mut t.spam,
        Class::Clean => &mut t.clean,
    };
    *v = (*v as i64 + by).max(0) as u64;
}

/// A training batch's effect on the counts: the tokens of one message,
/// the class they count in, and +1 or -1.
type Effect<'a, 'b> = (&'b [(&'a [u8], u32)], Class, i64);

/// Batches with more token occurrences than this sum them on two threads.
const SPLIT_MIN_TOKENS: usize = 50_000;

/// Sums `effects` per key, in ascending key order. Large batches are summed
/// in two halves at once (each half hashed, then sorted) and the two sorted
/// halves merged; where no thread can be started, on this one.
fn sum_effects<'a>(effects: &[Effect<'a, '_>]) -> Vec<(&'a [u8], (i64, i64))> {
    fn sum_sorted<'a>(effects: &[Effect<'a, '_>]) -> Vec<(&'a [u8], (i64, i64))> {
        let mut deltas: FxHashMap<&[u8], (i64, i64)> = FxHashMap::default();
        for &(tokens, c, sign) in effects {
            add_tokens(&mut deltas, tokens, c, sign);
        }
        let mut v: Vec<_> = deltas.into_iter().collect();
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        v
    }
    let total: usize = effects.iter().map(|e| e.0.len()).sum();
    if total < SPLIT_MIN_TOKENS {
        return sum_sorted(effects);
    }
    let mut seen = 0;
    let mid = effects
        .iter()
        .position(|e| {
            seen += e.0.len();
            seen * 2 >= total
        })
        .map_or(effects.len(), |i| i + 1);
    let (first, second) = effects.split_at(mid);
    let (a, b) = std::thread::scope(|s| {
        match std::thread::Builder::new().spawn_scoped(s, || sum_sorted(first)) {
            Ok(handle) => {
                let b = sum_sorted(second);
                let a = handle
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e));
                (a, b)
            }
            Err(_) => (sum_sorted(first), sum_sorted(second)),
        }
    });
    merge_sorted(a, b)
}

/// Merges two ascending, per-key summed lists into one, adding the deltas
/// of keys in both.
fn merge_sorted<'a>(
    a: Vec<(&'a [u8], (i64, i64))>,
    b: Vec<(&'a [u8], (i64, i64))>,
) -> Vec<(&'a [u8], (i64, i64))> {
    let mut out = Vec::with_capacity(a.len().max(b.len()) * 3 / 2);
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => match x.0.cmp(y.0) {
                std::cmp::Ordering::Less => a.next(),
                std::cmp::Ordering::Greater => b.next(),
                std::cmp::Ordering::Equal => {
                    let (k, (s1, c1)) = a.next().unwrap_or_default();
                    let (_, (s2, c2)) = b.next().unwrap_or_default();
                    Some((k, (s1 + s2, c1 + c2)))
                }
            },
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => break,
        };
        out.extend(next);
    }
    out
}

fn add_tokens<'a>(
    deltas: &mut FxHashMap<&'a [u8], (i64, i64)>,
    tokens: &[(&'a [u8], u32)],
    c: Class,
    sign: i64,
) {
    for &(k, n) in tokens {
        let e = deltas.entry(k).or_insert((0, 0));
        match c {
            Class::Spam => e.0 += sign * n as i64,
            Class::Clean => e.1 += sign * n as i64,
        }
    }
}

/// `YYYY-MM-DD` of a day number (days since 2000-01-01).
pub fn day_to_date(day: u32) -> String {
    // Civil-from-days (Howard Hinnant's algorithm), epoch 1970-01-01.
    let z = day as i64 + 10_957 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

impl Store for Lmdb {
    fn totals(&self) -> Result<Totals> {
        self.read(|r| self.totals_in(r))
    }

    fn lookup(&self, keys: &[&[u8]]) -> Result<(Totals, Vec<TokenCounts>)> {
        self.read(|r| {
            let totals = self.totals_in(r)?;
            let counts = keys
                .iter()
                .map(|k| self.counts_of(r, k))
                .collect::<Result<Vec<_>>>()?;
            Ok((totals, counts))
        })
    }

    fn snapshot(&self) -> Result<(Totals, Snapshot)> {
        self.read(|r| {
            let totals = self.totals_in(r)?;
            let n = self.tokens.len(r)? as usize;
            let mut map = Snapshot::with_capacity_and_hasher(n, Default::default());
            for item in self.tokens.iter(r)? {
                let (k, v) = item?;
                let c = decode_counts(v).ok_or_else(|| Error::Corrupt("token value".into()))?;
                map.insert(k.into(), c);
            }
            Ok((totals, map))
        })
    }

    fn train(&self, ops: &[TrainOp<'_>]) -> Result<TrainReport> {
        self.write(|w| {
            let day = today();
            let mut totals = self.totals_in(w)?;
            let mut effects: Vec<Effect<'_, '_>> = Vec::with_capacity(ops.len());
            let mut report = TrainReport::default();
            for op in ops {
                let prev = self
                    .trained
                    .get(w, &op.digest)?
                    .and_then(|v| v.first().copied())
                    .and_then(class_from_byte);
                match (op.action, prev) {
                    (Action::Add(c), Some(p)) if p == c => report.unchanged += 1,
                    (Action::Add(c), prev) => {
                        if let Some(p) = prev {
                            effects.push((&op.tokens, p, -1));
                            bump(&mut totals, p, -1);
                            report.moved += 1;
                        } else {
                            report.learned += 1;
                        }
                        effects.push((&op.tokens, c, 1));
                        bump(&mut totals, c, 1);
                        let mut v = vec![class_byte(c)];
                        v.extend_from_slice(&day.to_le_bytes());
                        self.trained.put(w, &op.digest, &v)?;
                    }
                    (Action::Sub(c), Some(p)) if p == c => {
                        effects.push((&op.tokens, c, -1));
                        bump(&mut totals, c, -1);
                        self.trained.delete(w, &op.digest)?;
                        report.unlearned += 1;
                    }
                    (Action::Sub(_), _) => report.unchanged += 1,
                }
            }
            self.apply_sorted(w, sum_effects(&effects))?;
            self.put_totals(w, totals)?;
            self.meta.put(w, b"last_trained", &day.to_le_bytes())?;
            Ok(report)
        })
    }

    fn add_counts(&self, counts: &[(Vec<u8>, u32, u32)], messages: Totals) -> Result<()> {
        self.write(|w| {
            let mut deltas: FxHashMap<&[u8], (i64, i64)> = FxHashMap::default();
            for (k, s, c) in counts {
                let e = deltas.entry(k.as_slice()).or_insert((0, 0));
                e.0 += *s as i64;
                e.1 += *c as i64;
            }
            self.apply_deltas(w, deltas)?;
            let t = self.totals_in(w)?.plus(messages);
            self.put_totals(w, t)?;
            Ok(())
        })
    }

    fn restore_counts(&self, counts: &[(Vec<u8>, TokenCounts)], messages: Totals) -> Result<()> {
        self.write(|w| self.restore_counts_in(w, counts, messages))
    }

    fn restore(
        &self,
        counts: &[(Vec<u8>, TokenCounts)],
        messages: Totals,
        trained: &[(Digest, Class, u32)],
        tokenizer: Option<&str>,
    ) -> Result<()> {
        self.write(|w| {
            self.restore_counts_in(w, counts, messages)?;
            self.add_trained_in(w, trained)?;
            if let Some(t) = tokenizer
                && self.meta.get(w, b"tokenizer")?.is_none()
            {
                self.meta.put(w, b"tokenizer", t.as_bytes())?;
            }
            Ok(())
        })
    }

    fn for_each(&self, f: &mut dyn FnMut(&[u8], TokenCounts)) -> Result<()> {
        let rtxn = self.read_txn()?;
        for item in self.tokens.iter(&rtxn)? {
            let (k, v) = item?;
            let c = decode_counts(v).ok_or_else(|| Error::Corrupt("token value".into()))?;
            f(k, c);
        }
        Ok(())
    }

    fn for_each_trained(&self, f: &mut dyn FnMut(&Digest, Class, u32)) -> Result<()> {
        let rtxn = self.read_txn()?;
        for item in self.trained.iter(&rtxn)? {
            let (k, v) = item?;
            let (Ok(digest), Some(class)) = (
                <Digest>::try_from(k),
                v.first().copied().and_then(class_from_byte),
            ) else {
                return Err(Error::Corrupt("trained record".into()));
            };
            let day = v
                .get(1..5)
                .and_then(|d| d.try_into().ok())
                .map(u32::from_le_bytes)
                .unwrap_or(0);
            f(&digest, class, day);
        }
        Ok(())
    }

    fn add_trained(&self, entries: &[(Digest, Class, u32)]) -> Result<()> {
        self.write(|w| self.add_trained_in(w, entries))
    }

    fn expire(&self, policy: &ExpirePolicy) -> Result<u64> {
        let now = today();
        self.write(|w| {
            let mut doomed: Vec<Vec<u8>> = Vec::new();
            for item in self.tokens.iter(w)? {
                let (k, v) = item?;
                let c = decode_counts(v).ok_or_else(|| Error::Corrupt("token value".into()))?;
                if policy.drops(&c, now) {
                    doomed.push(k.to_vec());
                }
            }
            for k in &doomed {
                self.tokens.delete(w, k)?;
            }
            if policy.max_age_days.is_some() {
                let mut old_digests: Vec<Vec<u8>> = Vec::new();
                for item in self.trained.iter(w)? {
                    let (k, v) = item?;
                    let day = v
                        .get(1..5)
                        .and_then(|d| d.try_into().ok())
                        .map(u32::from_le_bytes)
                        .unwrap_or(0);
                    if policy.is_old(day, now) {
                        old_digests.push(k.to_vec());
                    }
                }
                for k in &old_digests {
                    self.trained.delete(w, k)?;
                }
            }
            self.meta.put(w, b"last_expire", &now.to_le_bytes())?;
            Ok(doomed.len() as u64)
        })
    }

    fn status(&self) -> Result<Vec<(String, String)>> {
        self.read(|r| {
            let t = self.totals_in(r)?;
            let day = |k: &[u8]| -> Result<String> {
                let d = self.meta_u64(r, k)?;
                Ok(if d == 0 {
                    "-".into()
                } else {
                    day_to_date(d as u32)
                })
            };
            let tokenizer = self
                .meta
                .get(r, b"tokenizer")?
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_else(|| "-".into());
            let mut v = t.status();
            v.extend([
                ("tokens".into(), self.tokens.len(r)?.to_string()),
                ("trained_digests".into(), self.trained.len(r)?.to_string()),
                (
                    "format_version".into(),
                    self.meta_u64(r, b"format")?.to_string(),
                ),
                ("tokenizer".into(), tokenizer),
                ("created".into(), day(b"created")?),
                ("last_trained".into(), day(b"last_trained")?),
                ("last_expire".into(), day(b"last_expire")?),
                ("db_path".into(), self.path.display().to_string()),
                ("db_bytes".into(), self.file_size().to_string()),
                ("map_bytes".into(), self.env.info().map_size.to_string()),
                (
                    "read_only".into(),
                    if self.read_only { "yes" } else { "no" }.into(),
                ),
            ]);
            Ok(v)
        })
    }

    fn tokenizer_id(&self, current: &str) -> Result<String> {
        let recorded = self.read(|r| {
            Ok(self
                .meta
                .get(r, b"tokenizer")?
                .map(|v| String::from_utf8_lossy(v).into_owned()))
        })?;
        match recorded {
            Some(r) => Ok(r),
            None if !self.read_only => {
                self.write(|w| {
                    self.meta.put(w, b"tokenizer", current.as_bytes())?;
                    Ok(())
                })?;
                Ok(current.to_string())
            }
            None => Ok(current.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Vec<u8> {
        let mut k = vec![1u8];
        k.extend_from_slice(s.as_bytes());
        k
    }

    #[test]
    fn dates() {
        assert_eq!(day_to_date(0), "2000-01-01");
        assert_eq!(day_to_date(9_827), "2026-11-27");
    }

    #[test]
    fn train_move_undo() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Lmdb::open(dir.path(), Mode::Create).expect("open");
        let (a, b) = (key("cheap"), key("hello"));
        let tokens = vec![(a.as_slice(), 1), (b.as_slice(), 2)];
        let op = |action| TrainOp {
            digest: [7; 16],
            action,
            tokens: tokens.clone(),
        };
        let r = db.train(&[op(Action::Add(Class::Spam))]).expect("train");
        assert_eq!(r.learned, 1);
        let r = db.train(&[op(Action::Add(Class::Spam))]).expect("again");
        assert_eq!(r.unchanged, 1);
        assert_eq!(db.totals().expect("totals"), Totals::new(1, 0));
        let (_, c) = db.lookup(&[&a, &b]).expect("lookup");
        assert_eq!((c[0].spam, c[1].spam), (1, 2));
        let r = db.train(&[op(Action::Add(Class::Clean))]).expect("move");
        assert_eq!(r.moved, 1);
        let (t, c) = db.lookup(&[&a, &b]).expect("lookup");
        assert_eq!(t, Totals::new(0, 1));
        assert_eq!((c[0].spam, c[0].clean, c[1].clean), (0, 1, 2));
        let r = db
            .train(&[op(Action::Sub(Class::Spam))])
            .expect("sub wrong class");
        assert_eq!(r.unchanged, 1);
        let r = db.train(&[op(Action::Sub(Class::Clean))]).expect("sub");
        assert_eq!(r.unlearned, 1);
        assert_eq!(db.totals().expect("totals"), Totals::default());
        let mut n = 0;
        db.for_each(&mut |_, _| n += 1).expect("iterate");
        assert_eq!(n, 0, "tokens at zero are deleted");
    }

    /// Imported message counts add up with further imports, survive
    /// training and reach lookups, snapshots and the status.
    #[test]
    fn imported_message_counts_persist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Lmdb::open(dir.path(), Mode::Create).expect("open");
        let k = key("hello");
        db.add_counts(&[(k.clone(), 3, 1)], Totals::new(3, 0).as_imported())
            .expect("import spam");
        db.restore_counts(
            &[(
                k.clone(),
                TokenCounts {
                    spam: 0,
                    clean: 2,
                    day: 1,
                },
            )],
            Totals::new(0, 5).as_imported(),
        )
        .expect("import clean");
        let imported = Totals::new(3, 5).as_imported();
        assert_eq!(db.totals().expect("totals"), imported);
        let op = TrainOp {
            digest: [1; 16],
            action: Action::Add(Class::Spam),
            tokens: vec![(k.as_slice(), 1)],
        };
        db.train(&[op]).expect("train");
        let want = imported.plus(Totals::new(1, 0));
        assert_eq!(db.lookup(&[&k]).expect("lookup").0, want);
        assert_eq!(db.snapshot().expect("snapshot").0, want);
        let st = db.status().expect("status");
        assert!(st.contains(&("imported_spam_messages".into(), "3".into())));
        assert!(st.contains(&("imported_clean_messages".into(), "5".into())));
        // A database never imported into shows no such lines.
        let dir2 = tempfile::tempdir().expect("tempdir");
        let plain = Lmdb::open(dir2.path(), Mode::Create).expect("open");
        plain
            .add_counts(&[(k, 1, 0)], Totals::new(1, 0))
            .expect("add");
        assert!(
            plain
                .status()
                .expect("status")
                .iter()
                .all(|(k, _)| !k.starts_with("imported"))
        );
    }

    /// Batches small and large next to the table (so both ways of reading
    /// the current counts run), interleaved keys (so cursor writes insert
    /// between existing keys and split pages) and an unlearning that
    /// deletes keys: the table must hold exactly what the sums say.
    #[test]
    fn batches_merge_into_the_table() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Lmdb::open(dir.path(), Mode::Create).expect("open");
        let keys: Vec<Vec<u8>> = (0..6_000).map(|i| key(&format!("t{i:05}"))).collect();
        let mut want: std::collections::BTreeMap<Vec<u8>, (u32, u32)> = Default::default();
        let mut train = |digest: u8, action: Action, pick: &dyn Fn(usize) -> bool| {
            let tokens: Vec<(&[u8], u32)> = keys
                .iter()
                .enumerate()
                .filter(|(i, _)| pick(*i))
                .map(|(_, k)| (k.as_slice(), 1))
                .collect();
            for (k, _) in &tokens {
                let e = want.entry(k.to_vec()).or_default();
                match action {
                    Action::Add(Class::Spam) => e.0 += 1,
                    Action::Add(Class::Clean) => e.1 += 1,
                    Action::Sub(Class::Spam) => e.0 -= 1,
                    Action::Sub(Class::Clean) => e.1 -= 1,
                }
            }
            let op = TrainOp {
                digest: [digest; 16],
                action,
                tokens,
            };
            db.train(&[op]).expect("train");
        };
        // Empty table, then every other key, then the rest between them.
        train(1, Action::Add(Class::Spam), &|i| i % 2 == 0);
        train(2, Action::Add(Class::Clean), &|i| i % 2 == 1);
        // A small batch next to a big table: one search per key.
        assert!(keys.len() > MERGE_RATIO * 30);
        train(3, Action::Add(Class::Spam), &|i| i % 200 == 7);
        // A big batch: one pass over the table.
        train(4, Action::Add(Class::Clean), &|i| i % 3 == 0);
        // Unlearning the first message deletes the keys only it had.
        train(1, Action::Sub(Class::Spam), &|i| i % 2 == 0);
        want.retain(|_, c| *c != (0, 0));
        let mut got = std::collections::BTreeMap::new();
        db.for_each(&mut |k, c| {
            got.insert(k.to_vec(), (c.spam, c.clean));
        })
        .expect("iterate");
        assert_eq!(got.len(), want.len());
        assert!(got == want, "table differs from the sums");
        assert_eq!(db.totals().expect("totals"), Totals::new(1, 2));
    }

    /// Big batches are summed in two halves and merged: the result must be
    /// the plain sum, in key order, each key once.
    #[test]
    fn split_sums_equal_plain_sums() {
        let keys: Vec<Vec<u8>> = (0..5_000)
            .map(|i| key(&format!("k{}", i * 7919 % 5_003)))
            .collect();
        let messages: Vec<Vec<(&[u8], u32)>> = (0..200)
            .map(|m| {
                (0..400)
                    .map(|j| {
                        (
                            keys[(m * 37 + j * 11) % keys.len()].as_slice(),
                            1 + (j % 3) as u32,
                        )
                    })
                    .collect()
            })
            .collect();
        let effects: Vec<Effect<'_, '_>> = messages
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let class = if i % 3 == 0 {
                    Class::Spam
                } else {
                    Class::Clean
                };
                (t.as_slice(), class, if i % 7 == 0 { -1 } else { 1 })
            })
            .collect();
        assert!(messages.iter().map(Vec::len).sum::<usize>() >= SPLIT_MIN_TOKENS);
        let mut want: std::collections::BTreeMap<&[u8], (i64, i64)> = Default::default();
        for &(tokens, class, sign) in &effects {
            for &(k, n) in tokens {
                let e = want.entry(k).or_default();
                match class {
                    Class::Spam => e.0 += sign * n as i64,
                    Class::Clean => e.1 += sign * n as i64,
                }
            }
        }
        let got = sum_effects(&effects);
        assert_eq!(got, want.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn full_map_grows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Lmdb::open_env(dir.path(), false, 64 << 10).expect("open");
        let keys: Vec<Vec<u8>> = (0..20_000)
            .map(|i| key(&format!("token-number-{i}")))
            .collect();
        let ops: Vec<TrainOp<'_>> = keys
            .chunks(1000)
            .enumerate()
            .map(|(i, ch)| TrainOp {
                digest: [i as u8; 16],
                action: Action::Add(Class::Spam),
                tokens: ch.iter().map(|k| (k.as_slice(), 1)).collect(),
            })
            .collect();
        db.train(&ops).expect("train grows the map");
        assert!(db.env.info().map_size > 64 << 10);
        assert_eq!(db.totals().expect("totals").spam, 20);
    }

    #[test]
    fn missing_and_insecure() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            Lmdb::open(&dir.path().join("none"), Mode::Existing),
            Err(Error::Missing(_))
        ));
        let home = dir.path().join("h");
        fs::create_dir(&home).expect("mkdir");
        fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .expect("chmod");
        assert!(matches!(
            Lmdb::open(&home, Mode::Create),
            Err(Error::Insecure(_))
        ));
    }
}
