//! A message's distinct tokens as database keys, with occurrence counts.
//!
//! Keys are `[category id] ++ UTF-8 token`. They live in one arena, so
//! collecting a message's few hundred tokens costs no allocation per token.

use std::hash::{BuildHasher, Hasher};

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use super::Category;

#[derive(Clone, Copy)]
struct Entry {
    start: u32,
    len: u32,
    count: u32,
}

/// The distinct tokens of one message.
#[derive(Default)]
pub struct TokenSet {
    arena: Vec<u8>,
    entries: Vec<Entry>,
    table: HashTable<u32>,
}

fn hash_parts(cat: u8, token: &[u8]) -> u64 {
    let mut h = FxBuildHasher.build_hasher();
    h.write_u8(cat);
    h.write(token);
    h.finish()
}

/// The database key of a token.
pub fn make_key(cat: Category, token: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(token.len() + 1);
    k.push(cat as u8);
    k.extend_from_slice(token.as_bytes());
    k
}

/// Splits a database key into category and token.
pub fn split_key(key: &[u8]) -> Option<(Category, &str)> {
    let (&id, rest) = key.split_first()?;
    Some((Category::from_id(id)?, std::str::from_utf8(rest).ok()?))
}

impl TokenSet {
    pub fn new() -> TokenSet {
        TokenSet::default()
    }

    /// A set with room for `n` distinct tokens without growing.
    pub fn with_capacity(n: usize) -> TokenSet {
        TokenSet {
            arena: Vec::with_capacity(n * 12),
            entries: Vec::with_capacity(n),
            table: HashTable::with_capacity(n),
        }
    }

    pub fn clear(&mut self) {
        self.arena.clear();
        self.entries.clear();
        self.table.clear();
    }

    /// Adds one occurrence of a token.
    pub fn insert(&mut self, cat: Category, token: &str) {
        let tok = token.as_bytes();
        let h = hash_parts(cat as u8, tok);
        let arena = &self.arena;
        let entries = &mut self.entries;
        let same = |i: &u32| {
            let e = entries[*i as usize];
            let k = &arena[e.start as usize..(e.start + e.len) as usize];
            k.len() == tok.len() + 1 && k[0] == cat as u8 && &k[1..] == tok
        };
        if let Some(&idx) = self.table.find(h, same) {
            self.entries[idx as usize].count += 1;
            return;
        }
        let start = self.arena.len();
        self.arena.push(cat as u8);
        self.arena.extend_from_slice(tok);
        let idx = self.entries.len() as u32;
        self.entries.push(Entry {
            start: start as u32,
            len: (tok.len() + 1) as u32,
            count: 1,
        });
        let arena = &self.arena;
        let entries = &self.entries;
        self.table.insert_unique(h, idx, |&i| {
            let e = entries[i as usize];
            let k = &arena[e.start as usize..(e.start + e.len) as usize];
            hash_parts(k[0], &k[1..])
        });
    }

    /// Frees the lookup table (no more inserts will come): keeps the keys
    /// for training in a little memory.
    pub fn compact(&mut self) {
        self.table = HashTable::new();
        self.arena.shrink_to_fit();
        self.entries.shrink_to_fit();
    }

    /// Number of distinct tokens.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Distinct keys with their occurrence counts, in order of first
    /// appearance.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u32)> + '_ {
        self.entries.iter().map(|e| {
            (
                &self.arena[e.start as usize..(e.start + e.len) as usize],
                e.count,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_and_count() {
        let mut s = TokenSet::new();
        s.insert(Category::Body, "free");
        s.insert(Category::Subject, "free");
        s.insert(Category::Body, "free");
        for i in 0..1000 {
            s.insert(Category::Body, &format!("w{i}"));
        }
        assert_eq!(s.len(), 1002);
        let v: Vec<_> = s.iter().take(2).collect();
        assert_eq!(v[0], (&b"\x01free"[..], 2));
        assert_eq!(v[1], (&b"\x02free"[..], 1));
        assert_eq!(split_key(v[1].0), Some((Category::Subject, "free")));
        s.clear();
        assert!(s.is_empty());
    }
}
