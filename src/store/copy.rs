//! Copying a whole database from one store to another (LMDB → Redis,
//! Redis → LMDB, or between two of either), through the [`Store`] trait
//! only: token counts, message counts, trained-message digests and the
//! tokenizer id.
//!
//! The trait's imports do not carry a token's last-trained day, so copied
//! tokens are stamped with the day of the copy (as any import is); expiry by
//! age therefore counts from the copy.

use super::{Class, Digest, Error, Result, Store, Totals};

/// Tokens or digests written per call.
const CHUNK: usize = 10_000;

/// What a copy moved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub tokens: u64,
    pub digests: u64,
    pub totals: Totals,
}

/// Copies everything in `src` into `dst`, which must be empty (no message
/// and no token): copying into a database in use would add counts twice.
/// `tokenizer` is what `src` records (or the current one if it records none).
pub fn copy(src: &dyn Store, dst: &dyn Store, tokenizer: &str) -> Result<CopyReport> {
    let dst_totals = dst.totals()?;
    let mut dst_tokens = false;
    // for_each has no early exit; the destination is expected to be small
    // or empty, and a refusal costs one walk.
    dst.for_each(&mut |_, _| dst_tokens = true)?;
    if dst_totals != Totals::default() || dst_tokens {
        return Err(Error::Io(std::io::Error::other(
            "the destination database is not empty; copy only into a new one",
        )));
    }
    let recorded = src.tokenizer_id(tokenizer)?;
    dst.tokenizer_id(&recorded)?;

    let totals = src.totals()?;
    let mut report = CopyReport {
        totals,
        ..CopyReport::default()
    };
    let mut chunk: Vec<(Vec<u8>, u32, u32)> = Vec::with_capacity(CHUNK);
    let mut failed: Option<Error> = None;
    src.for_each(&mut |k, c| {
        if failed.is_some() {
            return;
        }
        chunk.push((k.to_vec(), c.spam, c.clean));
        report.tokens += 1;
        if chunk.len() >= CHUNK {
            if let Err(e) = dst.add_counts(&chunk, Totals::default()) {
                failed = Some(e);
            }
            chunk.clear();
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    // The message counts go with the last chunk.
    dst.add_counts(&chunk, totals)?;

    let mut digests: Vec<(Digest, Class, u32)> = Vec::with_capacity(CHUNK);
    src.for_each_trained(&mut |d, c, day| {
        if failed.is_some() {
            return;
        }
        digests.push((*d, c, day));
        report.digests += 1;
        if digests.len() >= CHUNK {
            if let Err(e) = dst.add_trained(&digests) {
                failed = Some(e);
            }
            digests.clear();
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if !digests.is_empty() {
        dst.add_trained(&digests)?;
    }
    Ok(report)
}
