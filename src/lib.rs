//! fumi (文, "a letter"): a Bayesian spam filter that reads Japanese mail as
//! well as English, and a drop-in replacement for bsfilter.
//!
//! The library follows the data: [`mail`] turns raw bytes into decoded header
//! fields, texts and part metadata; [`token`] turns those into categorized
//! tokens; [`store`] keeps per-token counts in LMDB; [`score`] combines token
//! probabilities into a verdict; [`engine`] strings these together for one
//! message; [`cli`] is the command line on top.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod cli;
pub mod engine;
pub mod eval;
pub mod mail;
pub mod migrate;
pub mod milter;
pub mod score;
pub mod store;
pub mod token;

#[cfg(test)]
mod testing;
