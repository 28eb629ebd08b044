//! Japanese (and other CJK) segmentation.
//!
//! With the `ipadic` feature the IPADIC dictionary, compiled from Debian's
//! mecab-ipadic sources by `build.rs`, is embedded in the binary and loaded on
//! first use (well under a millisecond: the data is used in place). Without a
//! dictionary, and always for Chinese and Korean text, Han/kana/Hangul runs
//! become overlapping character bigrams.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use lindera::dictionary::{Dictionary, Lattice};
use lindera::mode::Mode;

/// Script classes that need segmentation instead of UAX#29 words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// Hiragana, katakana (with `ー`) and kanji, including `々` and `〆`.
    Japanese,
    Hangul,
}

/// The segmentation class of a character, if it needs one.
pub fn script_of(c: char) -> Option<Script> {
    match c as u32 {
        0x3005..=0x3007
        | 0x3041..=0x309f
        | 0x30a1..=0x30ff
        | 0x31f0..=0x31ff
        | 0x3400..=0x4dbf
        | 0x4e00..=0x9fff
        | 0xf900..=0xfaff
        | 0x20000..=0x3134f => Some(Script::Japanese),
        0xac00..=0xd7af | 0x1100..=0x11ff | 0x3130..=0x318f => Some(Script::Hangul),
        _ => None,
    }
}

/// Does the text contain hiragana or katakana (i.e. is it Japanese rather
/// than Chinese)?
pub fn has_kana(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(c as u32, 0x3041..=0x309f | 0x30a1..=0x30fa | 0xff66..=0xff9d))
}

/// Is this a charset label of Chinese or Korean text?
pub fn is_chinese_or_korean_charset(label: &str) -> bool {
    let l = label.to_ascii_lowercase();
    [
        "gb2312",
        "gbk",
        "gb18030",
        "big5",
        "hz-gb",
        "euc-cn",
        "cp936",
        "euc-kr",
        "ks_c_5601",
        "cp949",
        "iso-2022-kr",
        "x-gbk",
        "euc-tw",
    ]
    .iter()
    .any(|p| l.starts_with(p))
}

/// A Japanese segmenter: a dictionary, or bigrams.
#[derive(Clone)]
pub struct Segmenter {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Bigram,
    /// Loaded on first use, so that English-only runs pay nothing; the
    /// function loads it.
    Builtin(
        Arc<OnceLock<Option<lindera::segmenter::Segmenter>>>,
        fn() -> Option<Dictionary>,
    ),
    Loaded(Arc<lindera::segmenter::Segmenter>),
}

#[cfg(feature = "ipadic")]
mod embedded {
    lindera_dictionary::embedded_dictionary!("/ipadic", EmbeddedIpadic);
}

#[cfg(feature = "ipadic")]
fn builtin_dictionary() -> Option<Dictionary> {
    embedded::load().ok()
}

#[cfg(not(feature = "ipadic"))]
fn builtin_dictionary() -> Option<Dictionary> {
    None
}

/// Is a dictionary compiled into this binary?
pub fn has_builtin_dictionary() -> bool {
    cfg!(feature = "ipadic")
}

impl Segmenter {
    /// The dictionary built into this binary, or bigrams if there is none.
    pub fn builtin() -> Segmenter {
        if has_builtin_dictionary() {
            Segmenter {
                inner: Inner::Builtin(Arc::new(OnceLock::new()), builtin_dictionary),
            }
        } else {
            Segmenter::bigram()
        }
    }

    /// Character bigrams only.
    pub fn bigram() -> Segmenter {
        Segmenter {
            inner: Inner::Bigram,
        }
    }

    /// A compiled Lindera dictionary directory (tests, or a dictionary built
    /// separately).
    pub fn from_dictionary(dict: Dictionary) -> Segmenter {
        Segmenter {
            inner: Inner::Loaded(Arc::new(lindera::segmenter::Segmenter::new(
                Mode::Normal,
                dict,
                None,
            ))),
        }
    }

    /// `ipadic` or `bigram`, recorded in the database.
    pub fn name(&self) -> &'static str {
        match self.inner {
            Inner::Bigram => "bigram",
            Inner::Builtin(..) => "ipadic",
            Inner::Loaded(_) => "dict",
        }
    }

    fn lindera(&self) -> Option<&lindera::segmenter::Segmenter> {
        match &self.inner {
            Inner::Bigram => None,
            Inner::Builtin(cell, load) => cell
                .get_or_init(|| {
                    load().map(|d| lindera::segmenter::Segmenter::new(Mode::Normal, d, None))
                })
                .as_ref(),
            Inner::Loaded(s) => Some(s),
        }
    }

    /// Fails if the built-in dictionary was needed and could not be loaded.
    /// It is compiled into the binary, so this happens only with a damaged
    /// binary; fumi then stops with an error rather than silently
    /// segmenting with bigrams under the name of the dictionary its
    /// database records. (Checked after tokenizing, so that mail without
    /// Japanese never pays for loading it.)
    pub fn check(&self) -> Result<(), String> {
        match &self.inner {
            Inner::Builtin(cell, _) if matches!(cell.get(), Some(None)) => Err(
                "the Japanese dictionary built into fumi cannot be loaded (a damaged binary?): reinstall fumi"
                    .into(),
            ),
            _ => Ok(()),
        }
    }

    /// Segments a run of Japanese-script characters (no spaces, no Latin),
    /// calling `emit` for each word.
    pub fn segment(&self, run: &str, emit: &mut dyn FnMut(&str)) {
        let Some(seg) = self.lindera() else {
            bigrams(run, emit);
            return;
        };
        thread_local! {
            static LATTICE: RefCell<Lattice> = RefCell::new(Lattice::default());
        }
        let done = LATTICE.with(|lattice| {
            let Ok(mut lattice) = lattice.try_borrow_mut() else {
                return false;
            };
            match seg.segment_with_lattice(Cow::Borrowed(run), &mut lattice) {
                Ok(tokens) => {
                    for t in &tokens {
                        emit(&t.surface);
                    }
                    true
                }
                Err(_) => false,
            }
        });
        if !done {
            bigrams(run, emit);
        }
    }
}

/// Overlapping character bigrams; a run of one or two characters is its own
/// token.
pub fn bigrams(run: &str, emit: &mut dyn FnMut(&str)) {
    let idx: Vec<usize> = run
        .char_indices()
        .map(|(i, _)| i)
        .chain([run.len()])
        .collect();
    let n = idx.len() - 1;
    if n <= 2 {
        if n > 0 {
            emit(run);
        }
        return;
    }
    for w in idx.windows(3) {
        emit(&run[w[0]..w[2]]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts() {
        assert_eq!(script_of('あ'), Some(Script::Japanese));
        assert_eq!(script_of('ア'), Some(Script::Japanese));
        assert_eq!(script_of('ー'), Some(Script::Japanese));
        assert_eq!(script_of('漢'), Some(Script::Japanese));
        assert_eq!(script_of('々'), Some(Script::Japanese));
        assert_eq!(script_of('한'), Some(Script::Hangul));
        assert_eq!(script_of('a'), None);
        assert_eq!(script_of('。'), None);
        assert!(has_kana("無料で") && !has_kana("免费注册"));
    }

    /// A four-word dictionary built in the test: the lindera path works
    /// without Debian's mecab-ipadic (`cargo test --no-default-features`).
    #[test]
    fn toy_dictionary_segments() {
        use lindera_dictionary::builder::DictionaryBuilder;
        use lindera_dictionary::dictionary::metadata::Metadata;
        let src = tempfile::tempdir().expect("tempdir");
        let out = tempfile::tempdir().expect("tempdir");
        let files = [
            (
                "char.def",
                "DEFAULT 0 1 0\nHIRAGANA 0 1 2\nKATAKANA 1 1 0\nKANJI 0 0 2\n0x3041..0x309F HIRAGANA\n0x30A1..0x30FF KATAKANA\n0x4E00..0x9FFF KANJI\n",
            ),
            (
                "unk.def",
                "DEFAULT,0,0,3000,記号,一般,*,*,*,*,*,*,*\nHIRAGANA,0,0,3000,名詞,一般,*,*,*,*,*,*,*\nKATAKANA,0,0,3000,名詞,一般,*,*,*,*,*,*,*\nKANJI,0,0,3000,名詞,一般,*,*,*,*,*,*,*\n",
            ),
            ("matrix.def", "1 1\n0 0 0\n"),
            (
                "words.csv",
                "無料,0,0,100,名詞,一般,*,*,*,*,*,*,*\n登録,0,0,100,名詞,一般,*,*,*,*,*,*,*\nで,0,0,100,助詞,一般,*,*,*,*,*,*,*\nして,0,0,100,動詞,一般,*,*,*,*,*,*,*\n",
            ),
        ];
        for (name, text) in files {
            std::fs::write(src.path().join(name), text).expect("write");
        }
        DictionaryBuilder::new(Metadata::default())
            .build_dictionary(src.path(), out.path())
            .expect("build toy dictionary");
        let dict = lindera::dictionary::load_fs_dictionary(out.path()).expect("load");
        let seg = Segmenter::from_dictionary(dict);
        let mut v = Vec::new();
        seg.segment("無料で登録して", &mut |t| v.push(t.to_string()));
        assert_eq!(v, ["無料", "で", "登録", "して"]);
    }

    #[test]
    fn unloadable_dictionary_is_an_error_not_a_silent_fallback() {
        let seg = Segmenter {
            inner: Inner::Builtin(Arc::new(OnceLock::new()), || None),
        };
        assert_eq!(seg.name(), "ipadic");
        assert!(seg.check().is_ok(), "not needed yet");
        // Segmenting does not panic (bigrams), and the failure is reported.
        let mut v = Vec::new();
        seg.segment("無料登録", &mut |t| v.push(t.to_string()));
        assert_eq!(v, ["無料", "料登", "登録"]);
        let err = seg.check().expect_err("a dictionary that does not load");
        assert!(err.contains("cannot be loaded"), "{err}");
        assert!(!err.contains('\n'), "one line");
        assert!(Segmenter::bigram().check().is_ok());
        if has_builtin_dictionary() {
            let seg = Segmenter::builtin();
            seg.segment("無料登録", &mut |_| {});
            assert!(seg.check().is_ok());
        }
    }

    #[test]
    fn bigram_fallback() {
        let mut v = Vec::new();
        bigrams("未公開株", &mut |t| v.push(t.to_string()));
        assert_eq!(v, ["未公", "公開", "開株"]);
        v.clear();
        bigrams("株", &mut |t| v.push(t.to_string()));
        assert_eq!(v, ["株"]);
        v.clear();
        Segmenter::bigram().segment("無料", &mut |t| v.push(t.to_string()));
        assert_eq!(v, ["無料"]);
    }
}
