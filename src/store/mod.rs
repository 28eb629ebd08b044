//! Token counts: per token spam count, clean count and last-seen day, plus the
//! message counts, the digests of trained messages and a few settings, all
//! changed together in one transaction.
//!
//! [`Store`] is the interface the scorer and the command line use; [`lmdb`]
//! is the default implementation (one LMDB environment per home directory);
//! [`redis`] keeps one database on a Redis or Valkey server for several hosts.

pub mod copy;
pub mod lmdb;
pub mod redis;

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A class a message can be trained as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    Spam,
    Clean,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Spam => "spam",
            Class::Clean => "clean",
        }
    }
}

/// Counts of one token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenCounts {
    pub spam: u32,
    pub clean: u32,
    /// Last day (days since 2000-01-01, UTC) the token was trained.
    pub day: u32,
}

impl TokenCounts {
    pub fn get(&self, class: Class) -> u32 {
        match class {
            Class::Spam => self.spam,
            Class::Clean => self.clean,
        }
    }
}

/// Numbers of trained messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub spam: u64,
    pub clean: u64,
    /// Of these, how many came with counts imported from another filter
    /// (`--import-spam`/`--import-clean`/`--import-bogofilter`): their
    /// tokens are the other filter's, so most of fumi's own are missing.
    pub imported_spam: u64,
    pub imported_clean: u64,
}

impl Totals {
    /// Message counts with nothing imported.
    pub fn new(spam: u64, clean: u64) -> Totals {
        Totals {
            spam,
            clean,
            ..Totals::default()
        }
    }

    /// Messages of each class trained by fumi itself: the totals less the
    /// imported ones.
    pub fn native(&self) -> (u64, u64) {
        (
            self.spam.saturating_sub(self.imported_spam),
            self.clean.saturating_sub(self.imported_clean),
        )
    }

    /// These message counts, all of them imported.
    pub fn as_imported(self) -> Totals {
        Totals {
            imported_spam: self.spam,
            imported_clean: self.clean,
            ..self
        }
    }

    /// `--show-db-status` lines: the message counts, and the imported
    /// ones when there are any.
    pub fn status(&self) -> Vec<(String, String)> {
        let mut v = vec![
            ("spam_messages".into(), self.spam.to_string()),
            ("clean_messages".into(), self.clean.to_string()),
        ];
        if self.imported_spam + self.imported_clean > 0 {
            v.push((
                "imported_spam_messages".into(),
                self.imported_spam.to_string(),
            ));
            v.push((
                "imported_clean_messages".into(),
                self.imported_clean.to_string(),
            ));
        }
        v
    }

    /// The sum of two sets of message counts.
    pub fn plus(self, o: Totals) -> Totals {
        Totals {
            spam: self.spam + o.spam,
            clean: self.clean + o.clean,
            imported_spam: self.imported_spam + o.imported_spam,
            imported_clean: self.imported_clean + o.imported_clean,
        }
    }
}

/// A message's identity for training: its digest.
pub type Digest = [u8; 16];

/// What to do with one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Learn it as this class; a no-op if it already is, a move if it was
    /// learned as the other class.
    Add(Class),
    /// Unlearn it, if (and only if) it was learned as this class.
    Sub(Class),
}

/// One message to train: its digest and its tokens with the count each adds.
pub struct TrainOp<'a> {
    pub digest: Digest,
    pub action: Action,
    pub tokens: Vec<(&'a [u8], u32)>,
}

/// What a training batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrainReport {
    /// Messages newly learned.
    pub learned: usize,
    /// Messages moved from the other class.
    pub moved: usize,
    /// Messages unlearned.
    pub unlearned: usize,
    /// Operations that changed nothing (already learned, or not learned).
    pub unchanged: usize,
}

/// What `--expire` drops.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExpirePolicy {
    /// Drop tokens not trained for this many days.
    pub max_age_days: Option<u32>,
    /// Drop tokens whose spam+clean count is at most this.
    pub max_count: Option<u32>,
    /// Both conditions must hold (when both are given) rather than either.
    pub require_both: bool,
}

impl ExpirePolicy {
    /// Was something last trained on `day` too long before `today`?
    pub fn is_old(&self, day: u32, today: u32) -> bool {
        self.max_age_days
            .is_some_and(|a| today.saturating_sub(day) > a)
    }

    /// Are these counts rare enough to drop?
    pub fn is_rare(&self, c: &TokenCounts) -> bool {
        self.max_count
            .is_some_and(|m| c.spam as u64 + c.clean as u64 <= m as u64)
    }

    /// Does this policy drop a token with these counts on `today`?
    pub fn drops(&self, c: &TokenCounts, today: u32) -> bool {
        match (self.max_age_days, self.max_count) {
            (Some(_), Some(_)) if self.require_both => self.is_old(c.day, today) && self.is_rare(c),
            _ => self.is_old(c.day, today) || self.is_rare(c),
        }
    }
}

/// Errors of the store.
#[derive(Debug)]
pub enum Error {
    /// There is no database at the path (filtering needs one).
    Missing(String),
    /// The database is writable by other users.
    Insecure(String),
    /// The database is open read-only and a write was asked for.
    ReadOnly,
    /// The database was written by a newer fumi.
    Version(u32),
    Io(std::io::Error),
    Lmdb(heed::Error),
    /// Unreadable content.
    Corrupt(String),
    /// The Redis server could not be reached or refused a command.
    Redis(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Missing(p) => write!(
                f,
                "no database in {p}: train it first (fumi --add-spam … / --add-clean …)"
            ),
            Error::Insecure(p) => write!(
                f,
                "refusing to use {p}: it is writable by other users (chmod go-w)"
            ),
            Error::ReadOnly => write!(f, "the database is read-only"),
            Error::Version(v) => write!(
                f,
                "the database has format {v}, newer than this fumi understands"
            ),
            Error::Io(e) => write!(f, "{e}"),
            Error::Lmdb(e) => write!(f, "LMDB: {e}"),
            Error::Corrupt(what) => write!(f, "the database is damaged: {what}"),
            Error::Redis(what) => write!(f, "Redis {what}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<heed::Error> for Error {
    fn from(e: heed::Error) -> Self {
        match e {
            heed::Error::Io(io) => Error::Io(io),
            e => Error::Lmdb(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// All token counts in memory, for scoring many messages.
pub type Snapshot = rustc_hash::FxHashMap<Box<[u8]>, TokenCounts>;

/// The operations fumi needs from a token store.
pub trait Store: Send + Sync {
    /// Message counts.
    fn totals(&self) -> Result<Totals>;

    /// Counts of each key (zero when absent) and the message counts, from one
    /// consistent snapshot.
    fn lookup(&self, keys: &[&[u8]]) -> Result<(Totals, Vec<TokenCounts>)>;

    /// Every token's counts in memory, with the message counts.
    fn snapshot(&self) -> Result<(Totals, Snapshot)>;

    /// Applies a batch of training operations atomically: all of them, with
    /// the message counts and the trained-message digests, or none.
    fn train(&self, ops: &[TrainOp<'_>]) -> Result<TrainReport>;

    /// Adds raw counts (imports): `(key, spam, clean)`, and message counts.
    fn add_counts(&self, counts: &[(Vec<u8>, u32, u32)], messages: Totals) -> Result<()>;

    /// Adds token counts together with their last-trained days, and message
    /// counts, in one transaction (restores, imports with dates). Where a
    /// token exists, counts add up and the later day is kept. The provided
    /// version goes through [`Store::add_counts`], which stamps today.
    fn restore_counts(&self, counts: &[(Vec<u8>, TokenCounts)], messages: Totals) -> Result<()> {
        let plain: Vec<(Vec<u8>, u32, u32)> = counts
            .iter()
            .map(|(k, c)| (k.clone(), c.spam, c.clean))
            .collect();
        self.add_counts(&plain, messages)
    }

    /// Restores a whole dump into an empty store: token counts with their
    /// days, message counts, trained digests and the tokenizer id. The LMDB
    /// store does it in one transaction, so an interrupted restore leaves
    /// the store empty rather than half-filled; the provided version runs
    /// the steps in turn.
    fn restore(
        &self,
        counts: &[(Vec<u8>, TokenCounts)],
        messages: Totals,
        trained: &[(Digest, Class, u32)],
        tokenizer: Option<&str>,
    ) -> Result<()> {
        self.restore_counts(counts, messages)?;
        self.add_trained(trained)?;
        if let Some(t) = tokenizer {
            self.tokenizer_id(t)?;
        }
        Ok(())
    }

    /// Calls `f` for every token in key order.
    fn for_each(&self, f: &mut dyn FnMut(&[u8], TokenCounts)) -> Result<()>;

    /// Calls `f` for every trained-message digest, with its class and the day
    /// it was trained, in digest order.
    fn for_each_trained(&self, f: &mut dyn FnMut(&Digest, Class, u32)) -> Result<()>;

    /// Records trained-message digests (imports) without touching any count.
    fn add_trained(&self, entries: &[(Digest, Class, u32)]) -> Result<()>;

    /// Drops tokens by age and count; returns how many were dropped.
    fn expire(&self, policy: &ExpirePolicy) -> Result<u64>;

    /// `KEY VALUE` pairs for `--show-db-status`.
    fn status(&self) -> Result<Vec<(String, String)>>;

    /// Records the tokenizer id if none is recorded; returns the recorded one.
    fn tokenizer_id(&self, current: &str) -> Result<String>;
}

/// Today, in days since 2000-01-01 (UTC).
pub fn today() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (secs / 86_400).saturating_sub(10_957) as u32
}

/// Encodes token counts as three LEB128 varints (4–6 bytes for most tokens).
pub fn encode_counts(c: TokenCounts, out: &mut Vec<u8>) {
    out.clear();
    for mut v in [c.spam, c.clean, c.day] {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
}

/// Decodes [`encode_counts`]; `None` on malformed input.
pub fn decode_counts(mut b: &[u8]) -> Option<TokenCounts> {
    let mut vals = [0u32; 3];
    for v in &mut vals {
        let mut shift = 0;
        loop {
            let (&byte, rest) = b.split_first()?;
            b = rest;
            if shift > 28 {
                return None;
            }
            *v |= ((byte & 0x7f) as u32) << shift;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
    }
    b.is_empty().then_some(TokenCounts {
        spam: vals[0],
        clean: vals[1],
        day: vals[2],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_round_trip() {
        let mut buf = Vec::new();
        for c in [
            TokenCounts::default(),
            TokenCounts {
                spam: 1,
                clean: 300,
                day: 9_800,
            },
            TokenCounts {
                spam: u32::MAX,
                clean: u32::MAX,
                day: u32::MAX,
            },
        ] {
            encode_counts(c, &mut buf);
            assert_eq!(decode_counts(&buf), Some(c));
        }
        encode_counts(
            TokenCounts {
                spam: 1,
                clean: 0,
                day: 9_800,
            },
            &mut buf,
        );
        assert_eq!(buf.len(), 4);
        assert_eq!(decode_counts(&[0x80]), None);
        assert_eq!(decode_counts(&[1, 1, 1, 1]), None);
        assert_eq!(
            decode_counts(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0]),
            None
        );
    }

    #[test]
    fn today_is_after_2026() {
        assert!(today() > 9_800);
    }
}
