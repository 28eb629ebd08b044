//! Charset labels, sniffing and decoding to UTF-8.
//!
//! The declared charset of a part is a hint, not a fact: Japanese mail is
//! routinely labelled `CP932`, `ISO-2022-JP-2` or nothing at all, and spam
//! lies on purpose. [`decode`] trusts ISO-2022-JP escape sequences first, then
//! the label (through an alias table that knows what real mailers write), and
//! falls back to `chardetng` when the label is missing, unknown or wrong.

use std::borrow::Cow;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{EUC_JP, EUC_KR, Encoding, GBK, ISO_2022_JP, SHIFT_JIS, UTF_8, WINDOWS_1252};

/// Maps a charset label to an encoding, knowing the labels Japanese (and other
/// East Asian) mailers actually use that the WHATWG registry lacks.
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let label = label.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    if label.is_empty() || label.len() > 40 {
        return None;
    }
    let lower = label.to_ascii_lowercase();
    let aliased = match lower.as_str() {
        "cp932" | "ms932" | "x-ms-cp932" | "windows-31j" | "ms_kanji" | "sjis" | "x-sjis"
        | "shift-jis" | "shift_jisx0213" | "shift_jis-2004" | "x-sjis-unicode" | "sjis-open"
        | "sjis-win" | "csshiftjis" | "cswindows31j" => return Some(SHIFT_JIS),
        "iso-2022-jp-1" | "iso-2022-jp-2" | "iso-2022-jp-3" | "iso-2022-jp-2004"
        | "iso-2022-jp-ms" | "csiso2022jp" | "csiso2022jp2" | "jis" | "x-iso-2022-jp" => {
            return Some(ISO_2022_JP);
        }
        "euc-jisx0213"
        | "euc-jis-2004"
        | "x-euc-jp"
        | "eucjp"
        | "ujis"
        | "x-eucjp"
        | "eucjp-win"
        | "eucjp-ms"
        | "cseucpkdfmtjapanese" => return Some(EUC_JP),
        "ks_c_5601-1987" | "ks_c_5601" | "ksc5601" | "x-windows-949" | "cp949" | "uhc"
        | "euckr" => return Some(EUC_KR),
        "gb2312" | "x-gbk" | "cp936" | "euc-cn" | "x-euc-cn" | "gb_2312-80" => return Some(GBK),
        "utf8" | "x-utf8" | "unicode-1-1-utf-8" => return Some(UTF_8),
        "us-ascii" | "ascii" | "ansi_x3.4-1968" | "iso646-us" | "x-unknown" | "unknown"
        | "default" | "none" => return Some(WINDOWS_1252),
        other => other,
    };
    Encoding::for_label_no_replacement(aliased.as_bytes())
}

/// True when the bytes contain a JIS X 0208 designation (`ESC $ B` or
/// `ESC $ @`), i.e. they are ISO-2022-JP whatever the label says.
pub fn has_iso2022jp_escape(bytes: &[u8]) -> bool {
    memchr::memchr_iter(0x1b, bytes).any(|i| {
        matches!(
            bytes.get(i + 1..i + 3),
            Some([b'$', b'B']) | Some([b'$', b'@']) | Some([b'$', b'('])
        )
    })
}

/// Guesses the encoding of 8-bit bytes: a clean Japanese reading if there is
/// one (Firefox's detector, tuned for web pages, takes short Shift_JIS mail
/// for Cyrillic), otherwise Firefox's detector.
pub fn guess(bytes: &[u8]) -> &'static Encoding {
    // The first 16 KiB decide; a cut multibyte character at the end costs
    // at most one lossy character in the Japanese check.
    let sample = &bytes[..bytes.len().min(16 << 10)];
    if let Some(enc) = japanese_reading(sample) {
        return enc;
    }
    let mut det = EncodingDetector::new(Iso2022JpDetection::Allow);
    det.feed(&sample[..sample.len().min(4096)], true);
    det.guess(None, Utf8Detection::Allow)
}

/// Shift_JIS or EUC-JP, if the bytes decode without error in one of them and
/// a good share of what they decode to is kana (which a wrong reading of
/// other text almost never produces).
fn japanese_reading(bytes: &[u8]) -> Option<&'static Encoding> {
    let mut best: Option<(&'static Encoding, f64)> = None;
    for enc in [SHIFT_JIS, EUC_JP] {
        let (text, lossy) = enc.decode_without_bom_handling(bytes);
        // A sample may end inside a character.
        if lossy && text.chars().filter(|&c| c == '\u{fffd}').count() > 1 {
            continue;
        }
        let (mut kana, mut wide) = (0usize, 0usize);
        for c in text.chars().filter(|c| !c.is_ascii()) {
            wide += 1;
            if matches!(c as u32, 0x3041..=0x30ff | 0xff66..=0xff9d) {
                kana += 1;
            }
        }
        if wide == 0 {
            continue;
        }
        let ratio = kana as f64 / wide as f64;
        if ratio >= 0.15 && best.is_none_or(|(_, r)| ratio > r) {
            best = Some((enc, ratio));
        }
    }
    best.map(|(e, _)| e)
}

/// The result of decoding: the text and the encoding that was finally used.
#[derive(Debug)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static Encoding,
    /// Malformed sequences remained even after guessing.
    pub lossy: bool,
}

/// Decodes `bytes` to UTF-8, treating `declared` as a hint.
pub fn decode<'a>(bytes: &'a [u8], declared: Option<&str>) -> Decoded<'a> {
    if has_iso2022jp_escape(bytes) {
        return decode_with(bytes, ISO_2022_JP);
    }
    let is_ascii = bytes.is_ascii();
    let declared_enc = declared.and_then(encoding_for_label);
    if is_ascii {
        // 7-bit data that is not ISO-2022-JP: ASCII is the same in every
        // label we honour (UTF-7 aside, which mail-parser knows).
        if let Some(label) = declared
            && declared_enc.is_none()
            && let Some(text) = decode_exotic(bytes, label)
        {
            return Decoded {
                text: Cow::Owned(text),
                encoding: UTF_8,
                lossy: false,
            };
        }
        return Decoded {
            text: std::str::from_utf8(bytes)
                .map_or_else(|_| String::from_utf8_lossy(bytes), Cow::Borrowed),
            encoding: UTF_8,
            lossy: false,
        };
    }
    match declared_enc {
        Some(enc) if enc == UTF_8 => {
            if let Ok(s) = std::str::from_utf8(bytes) {
                return Decoded {
                    text: Cow::Borrowed(s),
                    encoding: UTF_8,
                    lossy: false,
                };
            }
            guessed_or(bytes, enc)
        }
        Some(enc) if is_single_byte_latin(enc) => {
            // Latin labels never fail to decode, so a mislabelled Shift_JIS
            // body would silently become mojibake: let the detector overrule
            // the label when it finds a clean East Asian or UTF-8 reading.
            if std::str::from_utf8(bytes).is_ok() {
                return decode_with(bytes, UTF_8);
            }
            if !looks_multibyte(bytes) {
                return decode_with(bytes, enc);
            }
            let g = guess(bytes);
            if g != enc && is_east_asian(g) {
                let d = decode_with(bytes, g);
                if !d.lossy {
                    return d;
                }
            }
            decode_with(bytes, enc)
        }
        Some(enc) => {
            let d = decode_with(bytes, enc);
            if !d.lossy {
                return d;
            }
            guessed_or(bytes, enc)
        }
        None => {
            if let Some(label) = declared
                && let Some(text) = decode_exotic(bytes, label)
            {
                return Decoded {
                    text: Cow::Owned(text),
                    encoding: UTF_8,
                    lossy: false,
                };
            }
            if let Ok(s) = std::str::from_utf8(bytes) {
                return Decoded {
                    text: Cow::Borrowed(s),
                    encoding: UTF_8,
                    lossy: false,
                };
            }
            if !looks_multibyte(bytes) {
                // Isolated 8-bit bytes: accents of undeclared Latin text.
                return decode_with(bytes, WINDOWS_1252);
            }
            decode_with(bytes, guess(bytes))
        }
    }
}

/// The label failed: try the detector, keep the label's reading if the guess
/// is no better.
fn guessed_or<'a>(bytes: &'a [u8], fallback: &'static Encoding) -> Decoded<'a> {
    let g = guess(bytes);
    if g != fallback {
        let d = decode_with(bytes, g);
        if !d.lossy {
            return d;
        }
    }
    decode_with(bytes, fallback)
}

fn decode_with<'a>(bytes: &'a [u8], enc: &'static Encoding) -> Decoded<'a> {
    let (text, lossy) = enc.decode_without_bom_handling(bytes);
    Decoded {
        text,
        encoding: enc,
        lossy,
    }
}

/// Charsets encoding_rs does not implement (UTF-7, UTF-32 …) but mail-parser
/// does.
fn decode_exotic(bytes: &[u8], label: &str) -> Option<String> {
    let label = label.trim().trim_matches('"');
    mail_parser::decoders::charsets::map::charset_decoder(label.as_bytes()).map(|f| f(bytes))
}

/// Do the 8-bit bytes come in runs, as in double-byte East Asian text,
/// rather than one at a time, as accents in Latin text?
fn looks_multibyte(bytes: &[u8]) -> bool {
    let (mut high, mut paired) = (0usize, 0usize);
    let mut prev_high = false;
    for &b in bytes {
        let h = b >= 0x80;
        if h {
            high += 1;
            if prev_high {
                paired += 1;
            }
        }
        prev_high = h;
    }
    high >= 4 && paired * 3 >= high
}

fn is_single_byte_latin(enc: &'static Encoding) -> bool {
    enc.is_single_byte() && !enc.name().starts_with("KOI") && !enc.name().starts_with("IBM")
}

fn is_east_asian(enc: &'static Encoding) -> bool {
    [
        SHIFT_JIS,
        EUC_JP,
        ISO_2022_JP,
        GBK,
        EUC_KR,
        encoding_rs::BIG5,
        encoding_rs::GB18030,
        UTF_8,
    ]
    .contains(&enc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_of_japanese_labels() {
        for l in [
            "CP932",
            "x-ms-cp932",
            "Windows-31J",
            "Shift_JISX0213",
            "\"cp932\"",
        ] {
            assert_eq!(encoding_for_label(l), Some(SHIFT_JIS), "{l}");
        }
        for l in [
            "ISO-2022-JP-1",
            "iso-2022-jp-2",
            "ISO-2022-JP-3",
            "iso-2022-jp",
        ] {
            assert_eq!(encoding_for_label(l), Some(ISO_2022_JP), "{l}");
        }
        assert_eq!(encoding_for_label("EUC-JISX0213"), Some(EUC_JP));
        assert_eq!(encoding_for_label("euc-jp"), Some(EUC_JP));
        assert_eq!(encoding_for_label("no-such-charset"), None);
    }

    #[test]
    fn escape_sequences_win_over_the_label() {
        let (jis, _, _) = ISO_2022_JP.encode("無料で登録");
        let d = decode(&jis, Some("us-ascii"));
        assert_eq!(d.text, "無料で登録");
        let d = decode(&jis, None);
        assert_eq!(d.text, "無料で登録");
    }

    #[test]
    fn undeclared_and_mislabelled_shift_jis_are_guessed() {
        let text = "今すぐ無料で登録して、限定キャンペーンの特典を受け取ってください。";
        let (sjis, _, _) = SHIFT_JIS.encode(text);
        assert_eq!(decode(&sjis, None).text, text);
        assert_eq!(decode(&sjis, Some("iso-8859-1")).text, text);
        assert_eq!(decode(&sjis, Some("utf-8")).text, text);
        assert_eq!(decode(&sjis, Some("euc-jp")).text, text);
    }

    #[test]
    fn cp932_extensions_decode() {
        let (bytes, _, _) = SHIFT_JIS.encode("①㈱");
        assert_eq!(decode(&bytes, Some("CP932")).text, "①㈱");
    }

    #[test]
    fn latin1_stays_latin1() {
        let bytes = b"caf\xe9 na\xefve r\xe9sum\xe9";
        assert_eq!(decode(bytes, Some("iso-8859-1")).text, "café naïve résumé");
    }

    #[test]
    fn utf7_through_mail_parser() {
        let d = decode(b"Hi Mom -+Jjo--!", Some("utf-7"));
        assert_eq!(d.text, "Hi Mom -\u{263a}-!");
    }
}
