//! Build script: compiles Debian's mecab-ipadic sources into a Lindera
//! dictionary and embeds it in the binary (feature `ipadic`, on by default).
//!
//! Nothing is downloaded. The sources are the EUC-JP files that
//! `apt-get install mecab-ipadic` puts in `/usr/share/mecab/dic/ipadic`
//! (override with `FUMI_IPADIC_SRC`). They are decoded with encoding_rs (the
//! same WHATWG decoder that decodes mail, so dictionary entries and message
//! text agree on every code point), slimmed (readings and base forms are not
//! needed to segment) and compiled with lindera-dictionary's builder.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use lindera_dictionary::builder::DictionaryBuilder;
use lindera_dictionary::dictionary::metadata::Metadata;
use lindera_dictionary::dictionary::schema::Schema;

const DEFAULT_SRC: &str = "/usr/share/mecab/dic/ipadic";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=FUMI_IPADIC_SRC");
    if env::var_os("CARGO_FEATURE_IPADIC").is_none() {
        return;
    }
    let src = env::var_os("FUMI_IPADIC_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SRC));
    println!("cargo:rerun-if-changed={}", src.display());
    if !src.join("matrix.def").is_file() {
        panic!(
            "\n\nfumi: the IPADIC dictionary sources were not found in {}.\n\
             Install them with:   sudo apt-get install mecab-ipadic\n\
             or, without root:    apt-get download mecab-ipadic && dpkg-deb -x mecab-ipadic_*_all.deb ipadic-deb\n\
             \x20                    FUMI_IPADIC_SRC=$PWD/ipadic-deb/usr/share/mecab/dic/ipadic cargo build --release\n\
             or build without the dictionary (Japanese falls back to character bigrams):\n\
             \x20                    cargo build --release --no-default-features\n\n",
            src.display()
        );
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"));
    let utf8_src = out.join("ipadic-src");
    let dict_dir = out.join("ipadic");
    transcode_sources(&src, &utf8_src);
    let builder = DictionaryBuilder::new(metadata());
    if dict_dir.exists() {
        fs::remove_dir_all(&dict_dir).expect("remove stale dictionary");
    }
    builder
        .build_dictionary(&utf8_src, &dict_dir)
        .unwrap_or_else(|e| panic!("fumi: building the IPADIC dictionary failed: {e}"));
    fs::remove_dir_all(&utf8_src).ok();
    println!("cargo:rustc-env=LINDERA_WORKDIR={}", out.display());
}

/// The IPADIC CSV layout: surface, context ids, cost, then the feature columns.
fn metadata() -> Metadata {
    let fields = [
        "surface",
        "left_context_id",
        "right_context_id",
        "cost",
        "part_of_speech",
        "part_of_speech_subcategory_1",
        "part_of_speech_subcategory_2",
        "part_of_speech_subcategory_3",
        "conjugation_form",
        "conjugation_type",
        "base_form",
        "reading",
        "pronunciation",
    ];
    Metadata::new(
        "ipadic".to_string(),
        "UTF-8".to_string(),
        -10000,
        0,
        0,
        "*".to_string(),
        true,
        false,
        false,
        Schema::new(fields.iter().map(|f| f.to_string()).collect()),
        Schema::new(vec![
            "surface".to_string(),
            "part_of_speech".to_string(),
            "reading".to_string(),
        ]),
    )
}

/// Decodes every source file from EUC-JP to UTF-8. In the word lists only the
/// surface, ids, cost and the first two part-of-speech columns are kept: fumi
/// never reads readings or base forms, and dropping them halves the binary
/// without changing a single segmentation.
fn transcode_sources(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).expect("create transcoding directory");
    let entries = fs::read_dir(src).unwrap_or_else(|e| panic!("read {}: {e}", src.display()));
    for entry in entries {
        let entry = entry.expect("directory entry");
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let wanted =
            name.ends_with(".csv") || matches!(name, "char.def" | "unk.def" | "matrix.def");
        if !wanted {
            continue;
        }
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let (text, _, _) = encoding_rs::EUC_JP.decode(&bytes);
        let text = if name.ends_with(".csv") {
            slim_csv(&text)
        } else {
            text.into_owned()
        };
        fs::write(dst.join(name), text).expect("write transcoded source");
    }
}

fn slim_csv(text: &str) -> String {
    let mut out = String::with_capacity(text.len() / 2);
    for line in text.lines() {
        if line.contains('"') {
            out.push_str(line);
        } else {
            let fields: Vec<&str> = line.split(',').collect();
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(if i < 6 { field } else { "*" });
            }
        }
        out.push('\n');
    }
    out
}
