//! Migration and backup: real dumps made by the Debian bsfilter and
//! bogofilter packages in the test, imported into fumi; fumi's own exports;
//! the lossless --export-db / --import-db round trip.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{corpus, files, fixture, fumi, run_with_input};

fn ok(out: Output, what: &str) -> Output {
    assert!(
        out.status.success(),
        "{what} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn fumi_in(home: &Path) -> Command {
    let mut c = fumi();
    c.arg("--homedir").arg(home);
    c
}

fn status(home: &Path) -> BTreeMap<String, String> {
    let out = ok(
        fumi_in(home).arg("--show-db-status").output().expect("run"),
        "status",
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Some spam and ham of the corpus sample, and the Japanese fixture.
fn training_sets() -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut spam: Vec<PathBuf> = files(&corpus().join("spam")).into_iter().take(12).collect();
    spam.push(fixture("ja-spam-iso2022jp.eml"));
    let ham: Vec<PathBuf> = files(&corpus().join("ham")).into_iter().take(12).collect();
    (spam, ham)
}

/// Lines of fumi's --export-* output as (category, token) → count.
fn fumi_export(home: &Path, class: &str) -> (u64, BTreeMap<(String, String), u64>) {
    let out = ok(
        fumi_in(home)
            .arg(format!("--export-{class}"))
            .output()
            .expect("run"),
        "export",
    );
    let text = String::from_utf8(out.stdout).expect("fumi exports UTF-8");
    let mut file_count = 0;
    let mut map = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f.len(), 4, "{line:?}");
        assert_eq!(f[0], "C");
        if f[1] == ".internal" {
            file_count = f[3].parse().expect("count");
        } else {
            map.insert(
                (f[1].to_string(), f[2].to_string()),
                f[3].parse().expect("count"),
            );
        }
    }
    (file_count, map)
}

/// bsfilter's export parsed: per language the message count, and the
/// (language, category, token) → count lines, EUC-JP decoded.
struct BsExport {
    file_count: BTreeMap<String, u64>,
    tokens: Vec<(String, String, String, u64)>,
}

fn parse_bsfilter_export(data: &[u8]) -> BsExport {
    let mut e = BsExport {
        file_count: BTreeMap::new(),
        tokens: Vec::new(),
    };
    for line in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let f: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        assert_eq!(f.len(), 4, "{:?}", String::from_utf8_lossy(line));
        let lang = String::from_utf8(f[0].to_vec()).expect("lang");
        let cat = String::from_utf8(f[1].to_vec()).expect("category");
        let tok = if lang == "ja" {
            encoding_rs::EUC_JP.decode(f[2]).0.into_owned()
        } else {
            String::from_utf8_lossy(f[2]).into_owned()
        };
        let n = std::str::from_utf8(f[3])
            .expect("count")
            .parse::<f64>()
            .expect("count") as u64;
        if cat == ".internal" {
            *e.file_count.entry(lang).or_default() += n;
        } else {
            e.tokens.push((lang, cat, tok, n));
        }
    }
    e
}

#[test]
fn bsfilter_dumps_import() {
    if !common::require_program("bsfilter") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let bs = dir.path().join("bsfilter");
    let (spam, ham) = training_sets();
    for (flag, set) in [("-s", &spam), ("-c", &ham)] {
        ok(
            Command::new("bsfilter")
                .arg("--homedir")
                .arg(&bs)
                .args([flag, "-u"])
                .args(set)
                .output()
                .expect("bsfilter"),
            "bsfilter training",
        );
    }
    let spam_txt = dir.path().join("spam.txt");
    let clean_txt = dir.path().join("clean.txt");
    for (flag, path) in [("--export-spam", &spam_txt), ("--export-clean", &clean_txt)] {
        let out = ok(
            Command::new("bsfilter")
                .arg("--homedir")
                .arg(&bs)
                .arg(flag)
                .output()
                .expect("bsfilter"),
            "bsfilter export",
        );
        std::fs::write(path, &out.stdout).expect("write");
    }
    let bs_spam = parse_bsfilter_export(&std::fs::read(&spam_txt).expect("read"));
    let bs_clean = parse_bsfilter_export(&std::fs::read(&clean_txt).expect("read"));
    assert_eq!(bs_spam.file_count.values().sum::<u64>(), spam.len() as u64);
    assert_eq!(
        bs_spam.file_count.get("ja"),
        Some(&1),
        "the fixture is Japanese to bsfilter"
    );

    let home = dir.path().join("fumi");
    let out = ok(
        fumi_in(&home)
            .arg("--import-spam")
            .arg(&spam_txt)
            .output()
            .expect("run"),
        "import spam",
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("dropped: "));
    // Standard input works as in bsfilter.
    ok(
        run_with_input(
            fumi_in(&home).arg("--import-clean"),
            &std::fs::read(&clean_txt).expect("read"),
        ),
        "import clean",
    );
    let st = status(&home);
    assert_eq!(st["spam_messages"], spam.len().to_string());
    assert_eq!(st["clean_messages"], ham.len().to_string());
    assert_eq!(st["imported_spam_messages"], st["spam_messages"]);
    assert_eq!(st["imported_clean_messages"], st["clean_messages"]);

    // The documented mapping, computed independently from bsfilter's lines:
    // ASCII body tokens are folded to lower case, each language's counts are
    // capped at its message count, the sum at all messages.
    for (bs, class, n_msgs) in [
        (&bs_spam, "spam", spam.len()),
        (&bs_clean, "clean", ham.len()),
    ] {
        let mut expected: BTreeMap<String, u64> = BTreeMap::new();
        for (lang, cat, tok, n) in &bs.tokens {
            if cat == "body" && tok.is_ascii() && tok.split('.').count() != 4 {
                *expected.entry(tok.to_ascii_lowercase()).or_default() +=
                    (*n).min(bs.file_count[lang]);
            }
        }
        let (file_count, got) = fumi_export(&home, class);
        assert_eq!(file_count, n_msgs as u64);
        assert!(
            expected.len() > 50,
            "{class}: too few body tokens to compare"
        );
        for (tok, n) in &expected {
            assert_eq!(
                got.get(&("body".to_string(), tok.clone())),
                Some(&(*n).min(n_msgs as u64)),
                "{class} body token {tok:?}"
            );
        }
        assert!(
            got.keys().all(|(c, _)| c != "tag" && c != "ufrom"),
            "categories fumi has no use for are dropped"
        );
    }
    // Japanese tokens come across from EUC-JP, in the categories they had.
    let (_, got) = fumi_export(&home, "spam");
    for (cat, tok) in [
        ("body", "無料"),
        ("body", "購入"),
        ("subject", "無料"),
        ("from", "市川"),
    ] {
        assert_eq!(
            got.get(&(cat.to_string(), tok.to_string())),
            Some(&1),
            "{cat} {tok}"
        );
    }
    // Subject and From words keep their category.
    let subj = bs_spam
        .tokens
        .iter()
        .find(|(l, c, t, _)| {
            l == "C" && c == "subject" && t.chars().all(|c| c.is_ascii_lowercase())
        })
        .expect("an ASCII subject word");
    assert!(got.contains_key(&("subject".to_string(), subj.2.clone())));

    // fumi's export reads back into fumi unchanged, and bsfilter reads it too.
    let fumi_spam = dir.path().join("fumi-spam.txt");
    ok(
        fumi_in(&home)
            .arg("--export-spam")
            .arg(&fumi_spam)
            .output()
            .expect("run"),
        "export to file",
    );
    let mode = std::fs::metadata(&fumi_spam)
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "exports are private");
    let home2 = dir.path().join("fumi2");
    ok(
        fumi_in(&home2)
            .arg("--import-spam")
            .arg(&fumi_spam)
            .output()
            .expect("run"),
        "re-import",
    );
    let again = ok(
        fumi_in(&home2).arg("--export-spam").output().expect("run"),
        "export",
    );
    assert_eq!(again.stdout, std::fs::read(&fumi_spam).expect("read"));
    let bs2 = dir.path().join("bsfilter2");
    ok(
        Command::new("bsfilter")
            .arg("--homedir")
            .arg(&bs2)
            .arg("--import-spam")
            .arg(&fumi_spam)
            .output()
            .expect("bsfilter"),
        "bsfilter importing fumi's export",
    );
    let back = ok(
        Command::new("bsfilter")
            .arg("--homedir")
            .arg(&bs2)
            .arg("--export-spam")
            .output()
            .expect("bsfilter"),
        "bsfilter export",
    );
    let back = parse_bsfilter_export(&back.stdout);
    let (_, fumi_lines) = fumi_export(&home, "spam");
    assert_eq!(back.tokens.len(), fumi_lines.len());
    assert!(
        back.tokens
            .iter()
            .any(|(_, c, t, n)| c == "body" && t == "無料" && *n == 1)
    );
}

#[test]
fn bogofilter_dump_imports() {
    if !common::require_program("bogofilter") || !common::require_program("bogoutil") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let bogo = dir.path().join("bogo");
    std::fs::create_dir(&bogo).expect("mkdir");
    let (spam, ham) = training_sets();
    for (flag, set) in [("-s", &spam), ("-n", &ham)] {
        for f in set.iter() {
            let msg = std::fs::read(f).expect("read");
            ok(
                run_with_input(
                    Command::new("bogofilter").arg("-d").arg(&bogo).arg(flag),
                    &msg,
                ),
                "bogofilter training",
            );
        }
    }
    let dump = ok(
        Command::new("bogoutil")
            .arg("-d")
            .arg(bogo.join("wordlist.db"))
            .output()
            .expect("bogoutil"),
        "bogoutil -d",
    )
    .stdout;
    // Age the dump's dates, to see that they are kept.
    let text = String::from_utf8(dump).expect("bogofilter writes UTF-8");
    let mut subj = None;
    let mut aged = String::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f.len(), 4, "{line:?}");
        if subj.is_none()
            && let Some(w) = f[0].strip_prefix("subj:")
            && w.chars().all(|c| c.is_ascii_lowercase())
            && w.len() >= 4
        {
            subj = Some((
                w.to_string(),
                f[1].parse::<u64>().expect("n"),
                f[2].parse::<u64>().expect("n"),
            ));
        }
        aged.push_str(&format!("{} {} {} 20240229\n", f[0], f[1], f[2]));
    }
    let (word, s, g) = subj.expect("a lower-case subject word");
    let case_variants = text
        .lines()
        .filter(|l| {
            l.split(' ')
                .next()
                .and_then(|t| t.strip_prefix("subj:"))
                .is_some_and(|t| t.eq_ignore_ascii_case(&word))
        })
        .count();
    let dump_path = dir.path().join("bogo.txt");
    std::fs::write(&dump_path, &aged).expect("write");

    let home = dir.path().join("fumi");
    let out = ok(
        fumi_in(&home)
            .arg("--import-bogofilter")
            .arg(&dump_path)
            .output()
            .expect("run"),
        "import",
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("imported bogofilter"));
    let st = status(&home);
    assert_eq!(st["spam_messages"], spam.len().to_string());
    assert_eq!(st["clean_messages"], ham.len().to_string());
    assert_eq!(st["imported_spam_messages"], st["spam_messages"]);
    assert_eq!(st["imported_clean_messages"], st["clean_messages"]);
    let db = ok(
        fumi_in(&home).arg("--export-db").output().expect("run"),
        "export-db",
    );
    let db = String::from_utf8(db.stdout).expect("utf8");
    let tokens: Vec<&str> = db.lines().filter(|l| l.starts_with("t ")).collect();
    assert!(tokens.len() > 100);
    assert!(
        tokens.iter().all(|l| l.ends_with(" 2024-02-29")),
        "dates kept"
    );
    if case_variants == 1 {
        assert!(
            tokens.contains(&format!("t subject {word} {s} {g} 2024-02-29").as_str()),
            "subj:{word} {s} {g}"
        );
    }
    assert!(tokens.iter().any(|l| l.starts_with("t received ")));
    assert!(tokens.iter().any(|l| l.starts_with("t header ")));
    // Training after the import stamps today on the tokens it touches.
    ok(
        fumi_in(&home)
            .arg("--add-spam")
            .arg(&spam[0])
            .output()
            .expect("run"),
        "train",
    );
    assert_eq!(status(&home)["spam_messages"], (spam.len() + 1).to_string());
}

#[test]
fn database_dump_round_trip() {
    let (home, test_spam, test_ham) = common::trained_home();
    let dir = tempfile::tempdir().expect("tempdir");
    let dump_path = dir.path().join("backup.fumi");
    ok(
        fumi_in(home.path())
            .arg("--export-db")
            .arg(&dump_path)
            .output()
            .expect("run"),
        "export-db",
    );
    let dump = std::fs::read(&dump_path).expect("read");
    let mode = std::fs::metadata(&dump_path)
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0);

    // A truncated dump is refused and writes nothing.
    let restored = dir.path().join("restored");
    let cut = &dump[..dump.len() / 2];
    let out = run_with_input(fumi_in(&restored).arg("--import-db"), cut);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!restored.join("data.mdb").exists());

    ok(
        fumi_in(&restored)
            .arg("--import-db")
            .arg(&dump_path)
            .output()
            .expect("run"),
        "import-db",
    );
    let again = ok(
        fumi_in(&restored).arg("--export-db").output().expect("run"),
        "export-db",
    );
    assert_eq!(
        again.stdout, dump,
        "the dump of the restored database is the same"
    );
    let (a, b) = (status(home.path()), status(&restored));
    for k in [
        "spam_messages",
        "clean_messages",
        "tokens",
        "trained_digests",
        "tokenizer",
    ] {
        assert_eq!(a[k], b[k], "{k}");
    }
    let scan = |h: &Path| {
        ok(
            fumi_in(h)
                .arg("--scan")
                .args(&test_spam)
                .args(&test_ham)
                .output()
                .expect("run"),
            "scan",
        )
        .stdout
    };
    assert_eq!(scan(home.path()), scan(&restored), "same scores");

    // The trained digests came along: unlearning a trained message works.
    let trained = files(&corpus().join("spam"))[0].clone();
    let out = ok(
        fumi_in(&restored)
            .args(["--sub-spam", "-v"])
            .arg(&trained)
            .output()
            .expect("run"),
        "sub-spam",
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("unlearned 1"));
    let spam_before: u64 = a["spam_messages"].parse().expect("n");
    assert_eq!(
        status(&restored)["spam_messages"],
        (spam_before - 1).to_string()
    );

    // Restoring into a database that has data is refused.
    let out = fumi_in(&restored)
        .arg("--import-db")
        .arg(&dump_path)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
}

#[test]
fn export_probability_and_errors() {
    let (home, _, _) = common::trained_home();
    let out = ok(
        fumi_in(home.path())
            .arg("--export-probability")
            .output()
            .expect("run"),
        "export-probability",
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    let tokens: u64 = status(home.path())["tokens"].parse().expect("n");
    let mut n = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f.len(), 4, "{line}");
        if f[1] == ".internal" {
            if f[2] == "file_count" {
                assert_eq!(f[3], tokens.to_string());
            }
            continue;
        }
        let p: f64 = f[3].parse().expect("probability");
        assert!((0.0..=1.0).contains(&p), "{line}");
        n += 1;
    }
    assert_eq!(n, tokens);

    // Usage errors: two commands, a command with training, a file that is
    // not a dump, an export to two files. None of them touch the database.
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "Subject: not a dump at all\n\nhello\n").expect("write");
    for args in [
        vec!["--export-spam", "--export-clean"],
        vec!["--import-spam", "--add-spam"],
        vec!["--import-spam", junk.to_str().expect("path")],
        vec!["--import-bogofilter", junk.to_str().expect("path")],
        vec!["--import-db", junk.to_str().expect("path")],
        vec!["--export-db", "a", "b"],
    ] {
        let out = fumi_in(home.path()).args(&args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    // Exporting a home without a database is an internal error (3).
    let out = fumi_in(&dir.path().join("none"))
        .arg("--export-spam")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
}

/// A database led by imported counts scores a message by the tokens the
/// import brought only, says so in --explain, and keeps that record
/// through --export-db / --import-db; once fumi has trained --young-below
/// messages of each class itself, every token counts again.
#[test]
fn imported_database_ignores_unseen_tokens() {
    let (home, _, _) = common::trained_home();
    let dir = tempfile::tempdir().expect("tempdir");
    // fumi's exports without their `# fumi` line read as bsfilter's: an
    // import from another filter (fumi's own exports are not one).
    let (spam_txt, clean_txt) = (dir.path().join("s.txt"), dir.path().join("c.txt"));
    for (class, path) in [("spam", &spam_txt), ("clean", &clean_txt)] {
        let out = ok(
            fumi_in(home.path())
                .arg(format!("--export-{class}"))
                .output()
                .expect("run"),
            "export",
        );
        let text = String::from_utf8(out.stdout).expect("utf8");
        assert!(text.starts_with("# fumi "));
        let foreign: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
        std::fs::write(path, foreign).expect("write");
    }
    let own = dir.path().join("own");
    ok(
        fumi_in(home.path())
            .arg("--export-spam")
            .arg(dir.path().join("own.txt"))
            .output()
            .expect("run"),
        "export",
    );
    ok(
        fumi_in(&own)
            .arg("--import-spam")
            .arg(dir.path().join("own.txt"))
            .output()
            .expect("run"),
        "import own",
    );
    assert!(!status(&own).contains_key("imported_spam_messages"));
    let imported = dir.path().join("imported");
    for (flag, path) in [("--import-spam", &spam_txt), ("--import-clean", &clean_txt)] {
        ok(
            fumi_in(&imported)
                .arg(flag)
                .arg(path)
                .output()
                .expect("run"),
            "import",
        );
    }
    let st = status(&imported);
    assert_eq!(st["imported_spam_messages"], st["spam_messages"]);
    assert_eq!(st["imported_clean_messages"], st["clean_messages"]);
    assert!(!status(home.path()).contains_key("imported_spam_messages"));

    // A message with words both databases know and one neither has seen.
    let msg = b"From: offers@example.com\nSubject: free money\n\n\
        Click here for free money, the best offer today. zqxjvbwkunseenword\n";
    let explain = |h: &Path, extra: &[&str]| {
        let out = ok(
            run_with_input(fumi_in(h).arg("--explain").args(extra), msg),
            "explain",
        );
        String::from_utf8(out.stdout).expect("utf8")
    };
    let unseen = |text: &str| text.lines().any(|l| l.ends_with("\tzqxjvbwkunseenword"));
    let e = explain(&imported, &[]);
    assert!(
        e.lines()
            .next()
            .is_some_and(|l| l.ends_with("(imported database: unseen tokens ignored)")),
        "{e}"
    );
    assert!(!unseen(&e), "{e}");
    let clues: Vec<Vec<&str>> = e.lines().skip(2).map(|l| l.split('\t').collect()).collect();
    assert!(!clues.is_empty(), "{e}");
    assert!(
        clues
            .iter()
            .all(|f| f.len() == 5 && (f[1], f[2]) != ("0", "0")),
        "every clue was seen: {e}"
    );
    // The native database counts the unseen token (at x).
    let native = explain(home.path(), &[]);
    assert!(!native.contains("imported database"), "{native}");
    assert!(unseen(&native), "{native}");

    // The record survives a dump and restore.
    let dump = dir.path().join("db.fumi");
    ok(
        fumi_in(&imported)
            .arg("--export-db")
            .arg(&dump)
            .output()
            .expect("run"),
        "export-db",
    );
    let restored = dir.path().join("restored");
    ok(
        fumi_in(&restored)
            .arg("--import-db")
            .arg(&dump)
            .output()
            .expect("run"),
        "import-db",
    );
    assert_eq!(
        status(&restored)["imported_spam_messages"],
        st["imported_spam_messages"]
    );
    assert!(explain(&restored, &[]).contains("imported database"));

    // Native training ends it: one message of each class trained by fumi
    // is enough with --young-below 1, none is with the default.
    let (spam, ham) = training_sets();
    for (flag, f) in [("--add-spam", &spam[0]), ("--add-clean", &ham[0])] {
        ok(
            fumi_in(&imported).arg(flag).arg(f).output().expect("run"),
            "train",
        );
    }
    assert!(explain(&imported, &[]).contains("imported database"));
    let grown = explain(&imported, &["--young-below", "1"]);
    assert!(!grown.contains("imported database"), "{grown}");
    assert!(unseen(&grown), "{grown}");
}
