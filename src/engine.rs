//! The whole pipeline for one message: bytes → [`mail`](crate::mail) →
//! [`token`](crate::token) → counts from a [`store`](crate::store) →
//! [`score`](crate::score). Shared by the command line, the evaluation and
//! the milter, so that all of them see a message the same way.

use sha2::{Digest as _, Sha256};

use crate::mail::{self, Limits};
use crate::score::{self, Outcome, Params};
use crate::store::{self, Action, Digest, Snapshot, TokenCounts, Totals, TrainOp};
use crate::token::{TokenSet, Tokenizer};

/// How a message's tokens are counted when training.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counting {
    /// Once per message, however often the token occurs (bogofilter).
    Presence,
    /// Every occurrence (bsfilter).
    Occurrence,
}

/// Where token counts come from when scoring.
pub enum Counts<'a> {
    Store(&'a dyn store::Store),
    /// All counts in memory (batch scans).
    Snapshot(&'a Totals, &'a Snapshot),
}

impl Counts<'_> {
    fn lookup(&self, keys: &[&[u8]]) -> store::Result<(Totals, Vec<TokenCounts>)> {
        match self {
            Counts::Store(s) => s.lookup(keys),
            Counts::Snapshot(t, map) => Ok((
                **t,
                keys.iter()
                    .map(|k| map.get(*k).copied().unwrap_or_default())
                    .collect(),
            )),
        }
    }
}

/// Tokenizer, limits and scoring parameters.
pub struct Engine {
    pub tokenizer: Tokenizer,
    pub limits: Limits,
    pub params: Params,
    pub counting: Counting,
    /// Only this many bytes of a message are read for tokens and digest.
    pub max_message_bytes: usize,
}

/// A scored message.
pub struct Scored {
    pub outcome: Outcome,
    pub tokens: TokenSet,
}

impl Engine {
    /// Parses and tokenizes a message into `set` (cleared first).
    pub fn tokens_into(&self, raw: &[u8], set: &mut TokenSet) {
        set.clear();
        let raw = &raw[..raw.len().min(self.max_message_bytes)];
        let parsed = mail::parse(raw, &self.limits);
        self.tokenizer
            .tokenize(&parsed, &mut |c, t| set.insert(c, t));
    }

    /// The tokens of a message.
    pub fn tokens(&self, raw: &[u8]) -> TokenSet {
        let mut set = TokenSet::with_capacity(1024);
        self.tokens_into(raw, &mut set);
        set
    }

    /// Scores a message's tokens.
    pub fn score_tokens(&self, set: &TokenSet, counts: &Counts<'_>) -> store::Result<Outcome> {
        let keys: Vec<&[u8]> = set.iter().map(|(k, _)| k).collect();
        let (totals, found) = counts.lookup(&keys)?;
        Ok(score::score(&found, totals, &self.params))
    }

    /// Parses, tokenizes and scores a message.
    pub fn score(&self, raw: &[u8], counts: &Counts<'_>) -> store::Result<Scored> {
        let tokens = self.tokens(raw);
        let outcome = self.score_tokens(&tokens, counts)?;
        Ok(Scored { outcome, tokens })
    }

    /// A training operation for a message's tokens.
    pub fn train_op<'a>(&self, digest: Digest, action: Action, set: &'a TokenSet) -> TrainOp<'a> {
        TrainOp {
            digest,
            action,
            tokens: set
                .iter()
                .map(|(k, n)| {
                    (
                        k,
                        if self.counting == Counting::Presence {
                            1
                        } else {
                            n
                        },
                    )
                })
                .collect(),
        }
    }

    /// The identity of a message for training: its Message-ID and its body
    /// with line endings normalised, so the copy a user later moves to Junk
    /// (with delivery headers and fumi's own headers added, maybe CRLF)
    /// is recognised as the message that was learned at delivery.
    pub fn digest(&self, raw: &[u8]) -> Digest {
        let raw = &raw[..raw.len().min(self.max_message_bytes)];
        let raw = mail::skip_mbox_from_line(raw);
        let (head, body) = split_head_body(raw);
        let mut h = Sha256::new();
        let id = header_value(head, b"message-id")
            .or_else(|| header_value(head, b"date"))
            .unwrap_or_default();
        let id: Vec<u8> = id
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        h.update(b"fumi-digest-1\0");
        h.update(&id);
        h.update(b"\0");
        if id.is_empty() {
            // No identity in the header: the sender and subject stand in.
            for name in [&b"from"[..], b"subject"] {
                h.update(header_value(head, name).unwrap_or_default());
                h.update(b"\0");
            }
        }
        for chunk in body.split(|&b| b == b'\r') {
            h.update(chunk);
        }
        let full = h.finalize();
        let mut d = [0u8; 16];
        d.copy_from_slice(&full[..16]);
        d
    }
}

/// Splits a message at the first empty line.
pub fn split_head_body(raw: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    while i < raw.len() {
        let line_end = memchr::memchr(b'\n', &raw[i..]).map_or(raw.len(), |e| i + e + 1);
        let line = &raw[i..line_end];
        if line == b"\n" || line == b"\r\n" {
            return (&raw[..i], &raw[line_end..]);
        }
        i = line_end;
    }
    (raw, &[])
}

/// The raw (unfolded, trimmed) value of the first header field named `name`.
fn header_value<'a>(head: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut i = 0;
    while i < head.len() {
        let line_end = memchr::memchr(b'\n', &head[i..]).map_or(head.len(), |e| i + e + 1);
        let line = &head[i..line_end];
        if line.len() > name.len()
            && line[..name.len()].eq_ignore_ascii_case(name)
            && line[name.len()] == b':'
        {
            let v = &line[name.len() + 1..];
            let start = v
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(v.len());
            let end = v
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .map_or(start, |e| e + 1);
            return Some(&v[start..end.max(start)]);
        }
        i = line_end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::Options;

    fn engine() -> Engine {
        Engine {
            tokenizer: Tokenizer::with_segmenter(
                Options::default(),
                crate::token::japanese::Segmenter::bigram(),
            ),
            limits: Limits::default(),
            params: Params::default(),
            counting: Counting::Presence,
            max_message_bytes: 1 << 20,
        }
    }

    #[test]
    fn digest_ignores_delivery_headers_and_line_endings() {
        let e = engine();
        let a = b"Message-ID: <x@y>\nSubject: hi\n\nbody line\n";
        let b = b"Return-Path: <a@b>\r\nX-Spam-Flag: No\r\nMessage-ID: <x@y>\r\nSubject: hi\r\n\r\nbody line\r\n";
        assert_eq!(e.digest(a), e.digest(b));
        let c = b"Message-ID: <x@y>\nSubject: hi\n\nother body\n";
        assert_ne!(e.digest(a), e.digest(c));
        let d = b"Message-ID: <z@y>\nSubject: hi\n\nbody line\n";
        assert_ne!(e.digest(a), e.digest(d));
    }

    #[test]
    fn split() {
        assert_eq!(
            split_head_body(b"A: b\r\n\r\nbody"),
            (&b"A: b\r\n"[..], &b"body"[..])
        );
        assert_eq!(split_head_body(b"A: b\n"), (&b"A: b\n"[..], &b""[..]));
    }
}
