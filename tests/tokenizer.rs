//! `fumi --show-tokens` on hand-made messages, one per charset and MIME case
//! (tests/fixtures, written by tests/fixtures/make.py), and on generated
//! pathological ones. Uses the real binary with the embedded IPADIC.

mod common;

use common::{fixture, fumi, run_with_input};

/// `(category, token)` pairs `--show-tokens` prints for a file.
fn tokens_of_file(name: &str) -> Vec<(String, String)> {
    let out = fumi()
        .arg("--show-tokens")
        .arg(fixture(name))
        .output()
        .expect("run fumi");
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse(&out.stdout)
}

fn tokens_of_bytes(input: &[u8]) -> Vec<(String, String)> {
    let out = run_with_input(fumi().arg("--show-tokens"), input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse(&out.stdout)
}

fn parse(stdout: &[u8]) -> Vec<(String, String)> {
    String::from_utf8(stdout.to_vec())
        .expect("tokens are UTF-8")
        .lines()
        .map(|l| {
            let (c, t) = l.split_once('\t').expect("CATEGORY<TAB>TOKEN");
            (c.to_string(), t.to_string())
        })
        .collect()
}

/// Asserts that every `must` token is present and no `must_not` token is.
fn check(tokens: &[(String, String)], must: &[(&str, &str)], must_not: &[(&str, &str)]) {
    for (c, t) in must {
        assert!(
            tokens.iter().any(|(tc, tt)| tc == c && tt == t),
            "missing {c}\t{t} in {tokens:?}"
        );
    }
    for (c, t) in must_not {
        assert!(
            !tokens.iter().any(|(tc, tt)| tc == c && tt == t),
            "unexpected {c}\t{t} in {tokens:?}"
        );
    }
}

/// The tokens of one category, in order.
fn category<'a>(tokens: &'a [(String, String)], cat: &str) -> Vec<&'a str> {
    tokens
        .iter()
        .filter(|(c, _)| c == cat)
        .map(|(_, t)| t.as_str())
        .collect()
}

#[test]
fn iso2022jp_7bit_body_and_subject() {
    let t = tokens_of_file("iso2022jp-7bit.eml");
    check(
        &t,
        &[
            ("subject", "限定"),
            ("subject", "キャンペーン"),
            ("body", "公開"),
            ("body", "案内"),
            ("body", "登録"),
            ("charset", "iso-2022-jp"),
        ],
        &[("body", "$B"), ("body", "B"), ("body", "GB")],
    );
    // No escape-sequence junk anywhere.
    assert!(
        !t.iter()
            .any(|(_, tok)| tok.contains('\u{1b}') || tok.contains("$B")),
        "{t:?}"
    );
}

#[test]
fn iso2022jp_base64_with_jp2_label() {
    let t = tokens_of_file("iso2022jp-base64.eml");
    assert_eq!(
        category(&t, "body"),
        [
            "出会い",
            "系",
            "サイト",
            "で",
            "素敵",
            "な",
            "恋人",
            "を",
            "探し",
            "ましょ",
            "う"
        ]
    );
}

#[test]
fn cp932_circled_digits_and_kabushiki() {
    let t = tokens_of_file("cp932-circled.eml");
    // NFKC: ① → 1 (a one-character word, dropped), ㈱ → (株).
    check(
        &t,
        &[
            ("body", "限定"),
            ("body", "特典"),
            ("body", "無料"),
            ("body", "登録"),
            ("body", "株"),
            ("body", "未来"),
            ("body", "商事"),
            ("subject", "情報"),
        ],
        &[("body", "①"), ("body", "㈱")],
    );
}

#[test]
fn eucjp_quoted_printable() {
    let t = tokens_of_file("eucjp-qp.eml");
    assert_eq!(category(&t, "subject"), ["副業"]);
    check(
        &t,
        &[
            ("body", "自宅"),
            ("body", "簡単"),
            ("body", "副業"),
            ("body", "収入"),
            ("body", "方法"),
        ],
        &[],
    );
}

#[test]
fn utf8_base64_with_utf8_subject_and_url() {
    let t = tokens_of_file("utf8-base64.eml");
    assert_eq!(
        category(&t, "subject"),
        ["お買い得", "セール", "開催", "中"]
    );
    check(
        &t,
        &[
            ("body", "ブランド"),
            ("body", "割引"),
            ("url", "shop.example.jp"),
            ("url", "example.jp"),
            ("url", "sale"),
            ("body", "ご覧"),
        ],
        &[("body", "http")],
    );
}

#[test]
fn undeclared_shift_jis_is_guessed() {
    let t = tokens_of_file("undeclared-sjis.eml");
    check(
        &t,
        &[
            ("body", "携帯"),
            ("body", "電話"),
            ("body", "収入"),
            ("body", "仕事"),
            ("body", "紹介"),
        ],
        &[],
    );
}

#[test]
fn html_meta_charset_is_used_when_the_header_has_none() {
    let t = tokens_of_file("meta-charset-html.eml");
    check(
        &t,
        &[
            ("body", "здесь"),
            ("body", "реальные"),
            ("body", "деньги"),
            ("body", "ссылка"),
            ("charset", "koi8-r"),
            ("body", "無料"),
            ("body", "副業"),
            ("charset", "euc-jp"),
            // %XX escapes in links are undone.
            ("url", "escaped-host"),
            ("url", "www.example.ru"),
            ("url", "golden"),
            ("url", "stream"),
        ],
        &[("url", "20stream"), ("url", "%77%77%77.example.ru")],
    );
    // Nothing of the Russian text is read as another script.
    let body = category(&t, "body");
    assert!(
        body.iter().all(
            |w| w.chars().all(|c| !('\u{0590}'..='\u{05ff}').contains(&c)
                && !('\u{30a0}'..='\u{30ff}').contains(&c)
                || ["無料", "で", "副業", "を", "始め", "ましょ", "う"].contains(w))
        ),
        "{body:?}"
    );
}

#[test]
fn mislabelled_shift_jis_is_guessed() {
    let t = tokens_of_file("mislabelled-sjis.eml");
    assert_eq!(
        category(&t, "body"),
        [
            "絶対",
            "に",
            "儲かる",
            "投資",
            "情報",
            "を",
            "お",
            "届け",
            "し",
            "ます"
        ]
    );
}

#[test]
fn encoded_word_split_mid_character() {
    let t = tokens_of_file("split-encoded-word.eml");
    assert_eq!(
        category(&t, "subject"),
        ["当選", "おめでとう", "ござい", "ます"]
    );
}

#[test]
fn shift_jis_html_hidden_text_and_entities() {
    let t = tokens_of_file("sjis-html-hidden.eml");
    check(
        &t,
        &[
            ("body", "販売"),
            ("body", "特価"),
            ("body", "商品"),
            ("body", "購入"),
            ("body", "クリック"),
            ("url", "cheap.example.com"),
            ("url", "img.example.net"),
            ("mime", "text/html"),
        ],
        &[
            ("body", "タイトル"),
            ("body", "隠し"),
            ("body", "文字"),
            ("body", "見え"),
            ("body", "lt"),
            ("body", "div"),
            ("body", "span"),
        ],
    );
    // <div>激安</div><div>販売</div>: the tag separates the two words.
    assert!(!t.iter().any(|(_, tok)| tok.contains("安販")), "{t:?}");
}

#[test]
fn halfwidth_katakana_is_widened() {
    let t = tokens_of_file("halfwidth-katakana.eml");
    assert_eq!(category(&t, "body"), ["キャンペーン", "プレゼント", "free"]);
}

#[test]
fn exe_attachment_with_iso2022jp_name() {
    let t = tokens_of_file("exe-attachment.eml");
    check(
        &t,
        &[
            ("ext", "exe"),
            ("filename", "請求"),
            ("filename", "書"),
            ("mime", "application/octet-stream"),
            ("body", "invoice"),
        ],
        &[],
    );
    // The attachment's base64 never turns into words.
    assert!(
        !t.iter()
            .any(|(_, tok)| tok.starts_with("TVqQ") || tok.starts_with("AAAA")),
        "{t:?}"
    );
}

#[test]
fn japanese_message_rfc822_inside_multipart() {
    let t = tokens_of_file("nested-rfc822.eml");
    check(
        &t,
        &[
            ("body", "forwarded"),
            ("body", "転送"),
            ("body", "広告"),
            ("body", "在宅"),
            ("body", "ワーク"),
            ("body", "月収"),
            ("mime", "message/rfc822"),
        ],
        &[],
    );
}

#[test]
fn nul_bytes_separate_words() {
    let t = tokens_of_file("nul-bytes.eml");
    check(
        &t,
        &[
            ("body", "before"),
            ("body", "after"),
            ("body", "bytes"),
            ("subject", "nul"),
            ("subject", "here"),
        ],
        &[],
    );
    assert!(!t.iter().any(|(_, tok)| tok.contains('\0')));
}

#[test]
fn quoted_printable_utf8_and_alternative_html() {
    let t = tokens_of_file("alternative-utf8-qp.eml");
    check(
        &t,
        &[
            ("subject", "café"),
            ("body", "crème"),
            ("body", "brûlée"),
            ("body", "foo"),
            ("body", "bar"),
            ("url", "example.co.jp"),
            ("url", "https:"),
        ],
        &[("body", "foobar")],
    );
}

#[test]
fn garbage_base64_gives_no_words() {
    let t = tokens_of_file("garbage-base64.eml");
    assert!(category(&t, "body").is_empty(), "{t:?}");
    check(&t, &[("mime", "problem:bad-base64")], &[]);
}

#[test]
fn empty_and_headerless_input() {
    let t = tokens_of_bytes(b"");
    check(&t, &[("mime", "no-header")], &[]);
    let t = tokens_of_bytes("ただのテキストです hello world\n".as_bytes());
    check(
        &t,
        &[
            ("body", "テキスト"),
            ("body", "hello"),
            ("body", "world"),
            ("mime", "no-header"),
        ],
        &[],
    );
}

#[test]
fn two_hundred_nested_multiparts() {
    let mut m = String::from(
        "From: a@example.com\nSubject: deep\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n",
    );
    for i in 1..200 {
        m.push_str(&format!(
            "--b{}\nContent-Type: multipart/mixed; boundary=\"b{i}\"\n\n",
            i - 1
        ));
    }
    m.push_str("--b199\nContent-Type: text/plain\n\ninnermost words\n");
    for i in (0..200).rev() {
        m.push_str(&format!("--b{i}--\n"));
    }
    let t = tokens_of_bytes(m.as_bytes());
    check(
        &t,
        &[
            ("subject", "deep"),
            ("body", "innermost"),
            ("body", "words"),
        ],
        &[],
    );
}

#[test]
fn fifty_megabyte_attachment() {
    let mut m = Vec::from(
        &b"From: a@example.com\nSubject: big\nContent-Type: multipart/mixed; boundary=\"x\"\n\n--x\nContent-Type: text/plain\n\n\
           see attached\n--x\nContent-Type: application/zip; name=\"data.zip\"\nContent-Transfer-Encoding: base64\n\n"[..],
    );
    let line = b"UEsDBBQAAAAIAAAAIQBhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ekFCQ0RFRkdISUpLTE1OT1BR\n";
    while m.len() < 50 << 20 {
        m.extend_from_slice(line);
    }
    m.extend_from_slice(b"--x--\n");
    let t = tokens_of_bytes(&m);
    check(
        &t,
        &[
            ("subject", "big"),
            ("body", "attached"),
            ("ext", "zip"),
            ("filename", "data"),
            ("mime", "application/zip"),
        ],
        &[],
    );
    assert!(
        !t.iter().any(|(_, tok)| tok.starts_with("UEsDB")),
        "base64 never becomes words"
    );
}

#[test]
fn ten_thousand_character_prolonged_sound_mark_run() {
    let mut m = String::from(
        "From: a@example.jp\nSubject: line\nContent-Type: text/plain; charset=utf-8\n\nお知らせ\n",
    );
    m.push_str(&"ー".repeat(10_000));
    m.push_str("\n終わり\n");
    let t = tokens_of_bytes(m.as_bytes());
    check(
        &t,
        &[
            ("body", "お知らせ"),
            ("body", "終わり"),
            ("skip", "body:k:1000+"),
        ],
        &[],
    );
    assert!(
        t.iter().all(|(_, tok)| tok.chars().count() <= 60),
        "no giant token"
    );
}

#[test]
fn overlong_latin_word_becomes_a_skip_token() {
    // A 1 MB word: what the part limit (64 KiB of text) keeps of it is one
    // skip token.
    let word = "a".repeat(1 << 20);
    let t = tokens_of_bytes(format!("Subject: x\n\nbefore {word} after\n").as_bytes());
    check(&t, &[("body", "before"), ("skip", "body:a:1000+")], &[]);
    assert_eq!(t.len(), 2, "{t:?}");
    let t = tokens_of_bytes(format!("Subject: x\n\nbefore {} after\n", "b".repeat(45)).as_bytes());
    check(
        &t,
        &[("body", "before"), ("body", "after"), ("skip", "body:a:40")],
        &[],
    );
}

#[test]
fn header_tokens_are_tagged_by_header() {
    let m = "Received: from mx.example.net (mx.example.net [192.0.2.7]) by mail.example.org\n\
             From: \"Cheap Pills\" <sales@pills.example.biz>\nReply-To: other@example.ru\n\
             Subject: cheap pills\nMessage-ID: <abc@mailer.example.biz>\nX-Mailer: Bulk Mailer 3.0\n\
             List-Id: <offers.example.biz>\nContent-Type: text/plain; charset=us-ascii\n\ncheap\n";
    let t = tokens_of_bytes(m.as_bytes());
    check(
        &t,
        &[
            ("subject", "cheap"),
            ("body", "cheap"),
            ("from", "sales@pills.example.biz"),
            ("from", "@example.biz"),
            ("from", "pills"),
            ("reply-to", "@example.ru"),
            ("ip", "192.0.2.7"),
            ("ip", "192.0.2.0/24"),
            ("received", "mx.example.net"),
            ("message-id", "mailer.example.biz"),
            ("mailer", "bulk"),
            ("list-id", "offers.example.biz"),
            ("content-type", "text/plain"),
        ],
        &[],
    );
}

#[test]
fn own_headers_are_never_tokenized() {
    let m =
        "Subject: x\nX-Spam-Flag: YES\nX-Spam-Probability: 1.000000\nX-Spam-Status: Yes\n\nbody\n";
    let t = tokens_of_bytes(m.as_bytes());
    assert!(
        !t.iter()
            .any(|(_, tok)| tok.contains("x-spam") || tok == "yes"),
        "{t:?}"
    );
}
