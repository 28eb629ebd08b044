//! Decoded mail → tokens, each tagged with a [`Category`] so that the same word
//! in the Subject and in the body are different features.
//!
//! The flow: [`Tokenizer::tokenize`] walks the header fields ([`header`]),
//! the body texts and link targets ([`text`], [`url`]) and the MIME parts
//! (types, charsets, file name extensions), and hands every token to a sink.
//! Japanese runs are segmented by [`japanese`] (lindera + IPADIC when built
//! in, character bigrams otherwise).

mod header;
pub mod japanese;
pub mod set;
mod text;
mod url;

pub use set::TokenSet;

use crate::mail::{BodyKind, Mail};

macro_rules! categories {
    ($($variant:ident = $id:literal, $name:literal;)+) => {
        /// What part of the message a token came from. The numeric id is part
        /// of the database key and must never change.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Category { $($variant = $id,)+ }

        impl Category {
            /// All categories.
            pub const ALL: &'static [Category] = &[$(Category::$variant,)+];

            /// The name used by `--show-tokens`, `--explain` and exports.
            pub fn name(self) -> &'static str {
                match self { $(Category::$variant => $name,)+ }
            }

            /// The category with this name.
            pub fn from_name(name: &str) -> Option<Category> {
                match name { $($name => Some(Category::$variant),)+ _ => None }
            }

            /// The category with this database id.
            pub fn from_id(id: u8) -> Option<Category> {
                match id { $($id => Some(Category::$variant),)+ _ => None }
            }
        }
    };
}

categories! {
    Body = 1, "body";
    Subject = 2, "subject";
    From = 3, "from";
    To = 4, "to";
    Cc = 5, "cc";
    ReplyTo = 6, "reply-to";
    ReturnPath = 7, "return-path";
    Sender = 8, "sender";
    Received = 9, "received";
    ContentType = 10, "content-type";
    Charset = 11, "charset";
    Mailer = 12, "mailer";
    MessageId = 13, "message-id";
    ListId = 14, "list-id";
    Header = 15, "header";
    Url = 16, "url";
    Email = 17, "email";
    Ip = 18, "ip";
    Mime = 19, "mime";
    Ext = 20, "ext";
    Skip = 21, "skip";
    Pair = 22, "pair";
    Filename = 23, "filename";
}

/// Tokenizer settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Lower-case Latin words (Unicode case folding of letters).
    pub fold_case: bool,
    /// Also emit pairs of adjacent body/subject words (`pair` category).
    pub word_pairs: bool,
    /// Header names (lower case) never tokenized, besides the built-in list:
    /// the headers fumi itself writes with a custom `--header-prefix`.
    pub ignore_headers: Vec<String>,
    /// Emit the name of every header present (`header` category).
    pub header_names: bool,
    /// Emit the protocol words of Received headers (hosts and IPs always).
    pub received_words: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fold_case: true,
            word_pairs: false,
            ignore_headers: Vec::new(),
            header_names: false,
            received_words: true,
        }
    }
}

/// Longest token kept as is; longer runs become a `skip` token.
pub const MAX_WORD_CHARS: usize = 30;

/// Turns a [`Mail`] into tokens.
pub struct Tokenizer {
    opts: Options,
    japanese: japanese::Segmenter,
}

impl Tokenizer {
    /// A tokenizer with the built-in Japanese segmenter.
    pub fn new(opts: Options) -> Tokenizer {
        Tokenizer {
            opts,
            japanese: japanese::Segmenter::builtin(),
        }
    }

    /// A tokenizer with a given Japanese segmenter (tests, external dictionaries).
    pub fn with_segmenter(opts: Options, japanese: japanese::Segmenter) -> Tokenizer {
        Tokenizer { opts, japanese }
    }

    /// Identifies the token scheme, stored in the database so that a change
    /// of tokenizer is noticed.
    pub fn id(&self) -> String {
        format!(
            "fumi-tok-1;ja={};case={};pairs={}",
            self.japanese.name(),
            if self.opts.fold_case { "fold" } else { "keep" },
            if self.opts.word_pairs { "on" } else { "off" }
        )
    }

    /// Did tokenizing go as named (no Japanese dictionary failed to load)?
    /// See [`japanese::Segmenter::check`].
    pub fn check(&self) -> Result<(), String> {
        self.japanese.check()
    }

    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Emits every token of `mail`, in order of appearance. A token is
    /// never empty.
    pub fn tokenize(&self, mail: &Mail, sink: &mut dyn FnMut(Category, &str)) {
        // Han text is segmented as Japanese unless the mail declares a
        // Chinese or Korean charset and contains no kana.
        let foreign_charset = mail
            .parts
            .iter()
            .filter_map(|p| p.charset.as_deref())
            .any(japanese::is_chinese_or_korean_charset);
        let japanese_mail = !foreign_charset
            || mail
                .bodies
                .iter()
                .map(|b| b.text.as_str())
                .chain(mail.header("subject"))
                .any(japanese::has_kana);
        let mut ctx = text::Ctx {
            opts: &self.opts,
            segmenter: &self.japanese,
            japanese: japanese_mail,
            sink: Sink(sink),
        };
        header::tokenize_headers(mail, &mut ctx);
        for body in &mail.bodies {
            let cat = match body.kind {
                BodyKind::Plain | BodyKind::Html => Category::Body,
                BodyKind::InnerSubject => Category::Body,
            };
            text::tokenize_text(&body.text, cat, &mut ctx);
            for link in &body.links {
                url::url_tokens(link, &mut ctx);
            }
        }
        for part in &mail.parts {
            if !part.mime_type.is_empty() {
                ctx.sink.emit(Category::Mime, &part.mime_type);
            }
            if let Some(cs) = &part.charset {
                ctx.sink.emit(Category::Charset, cs);
            }
            if let Some(te) = &part.transfer_encoding
                && te != "7bit"
                && te.len() < 20
            {
                with_joined("cte:", te, |t| ctx.sink.emit(Category::Mime, t));
            }
            if let Some(p) = part.problem {
                with_joined("problem:", p, |t| ctx.sink.emit(Category::Mime, t));
            }
            if let Some(name) = &part.filename {
                attachment_name(name, &mut ctx);
            }
        }
        if mail.headerless {
            ctx.sink.emit(Category::Mime, "no-header");
        }
    }
}

/// The extension of an attachment file name (what admins block by hand:
/// `.exe`, `.scr`, `.js`, `.zip`), and the words of the name.
fn attachment_name(name: &str, ctx: &mut text::Ctx<'_, '_>) {
    let trimmed = name.trim().trim_end_matches(['.', ' ']);
    let stem = trimmed.rsplit_once('.').map_or(trimmed, |(s, _)| s);
    text::tokenize_text(stem, Category::Filename, ctx);
    if let Some((stem, ext)) = trimmed.rsplit_once('.') {
        let ext = ext.to_lowercase();
        if !ext.is_empty() && ext.len() <= 10 && ext.chars().all(char::is_alphanumeric) {
            ctx.sink.emit(Category::Ext, &ext);
            // Double extensions ("invoice.pdf.exe") are a classic lure.
            if let Some((_, inner)) = stem.rsplit_once('.') {
                let inner = inner.to_lowercase();
                if inner.len() <= 5 && inner.chars().all(char::is_alphanumeric) {
                    ctx.sink.emit(Category::Ext, &format!("{inner}.{ext}"));
                }
            }
        }
    } else {
        ctx.sink.emit(Category::Ext, "none");
    }
}

/// Where tokens go: the caller's sink, which never sees an empty token.
pub(crate) struct Sink<'s>(pub &'s mut dyn FnMut(Category, &str));

impl Sink<'_> {
    /// Hands a token to the sink unless it is empty.
    #[inline]
    pub(crate) fn emit(&mut self, cat: Category, token: &str) {
        if !token.is_empty() {
            (self.0)(cat, token);
        }
    }
}

/// Hands `a` followed by `b` to `f`, joined in a stack buffer when short (the
/// common case: `@domain`, `net.0/24`, `cte:base64`), so that a token made
/// of two pieces costs no allocation.
pub(crate) fn with_joined(a: &str, b: &str, f: impl FnOnce(&str)) {
    let mut buf = [0u8; 64];
    let n = a.len() + b.len();
    match buf.get_mut(..n) {
        Some(out) => {
            out[..a.len()].copy_from_slice(a.as_bytes());
            out[a.len()..].copy_from_slice(b.as_bytes());
            // Two strings joined are valid UTF-8; the check never fails.
            if let Ok(s) = std::str::from_utf8(out) {
                f(s);
            }
        }
        None => f(&format!("{a}{b}")),
    }
}

/// Hands `s` lower-cased (ASCII letters only) to `f`, without copying when it
/// has no upper-case letter and in a stack buffer when it is short.
pub(crate) fn with_ascii_lowercase(s: &str, f: impl FnOnce(&str)) {
    if !s.bytes().any(|b| b.is_ascii_uppercase()) {
        return f(s);
    }
    let mut buf = [0u8; 64];
    match buf.get_mut(..s.len()) {
        Some(out) => {
            out.copy_from_slice(s.as_bytes());
            out.make_ascii_lowercase();
            // ASCII case changes keep UTF-8 valid; the check never fails.
            if let Ok(l) = std::str::from_utf8(out) {
                f(l);
            }
        }
        None => f(&s.to_ascii_lowercase()),
    }
}

/// Tokens of a message as `(category, token)` pairs; convenient for tests and
/// `--show-tokens`.
pub fn tokens_of(tokenizer: &Tokenizer, mail: &Mail) -> Vec<(Category, String)> {
    let mut out = Vec::new();
    tokenizer.tokenize(mail, &mut |c, t| out.push((c, t.to_string())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_ids_round_trip() {
        for &c in Category::ALL {
            assert_eq!(Category::from_id(c as u8), Some(c));
            assert_eq!(Category::from_name(c.name()), Some(c));
        }
    }
}
