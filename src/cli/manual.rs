//! `--generate man|bash|zsh|fish`: the manual page and the shell completions,
//! generated from the option definitions in [`super::args`] so that they
//! cannot drift from the program. The copies shipped in `contrib/` are
//! checked against this output by `tests/manual.rs`.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_complete::Shell;

use super::args::Args;

/// The command as the manual shows it: every option with its help, the
/// bsfilter compatibility ones included (`-h` hides those).
fn command() -> clap::Command {
    Args::command()
        .bin_name("fumi")
        .mut_args(|a| a.hide_short_help(false))
}

/// Writes the manual page or a completion script.
pub fn generate(kind: &str, out: &mut dyn Write) -> io::Result<()> {
    let shell = match kind {
        "man" => return man(out),
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        "fish" => Shell::Fish,
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("--generate {other}: man, bash, zsh or fish"),
            ));
        }
    };
    let mut cmd = command();
    clap_complete::generate(shell, &mut cmd, "fumi", out);
    Ok(())
}

/// Escapes text for roff: backslashes, hyphens (so that options copy and
/// paste as ASCII) and a leading dot or quote.
fn roff(text: &str) -> String {
    let mut s = text.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        s.insert_str(0, "\\&");
    }
    s
}

fn section(out: &mut dyn Write, title: &str, paragraphs: &[&str]) -> io::Result<()> {
    writeln!(out, ".SH \"{title}\"")?;
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            writeln!(out, ".PP")?;
        }
        writeln!(out, "{}", roff(p))?;
    }
    Ok(())
}

/// Indented literal lines (examples).
fn example(out: &mut dyn Write, lines: &[&str]) -> io::Result<()> {
    writeln!(out, ".PP\n.RS 4\n.nf")?;
    for l in lines {
        writeln!(out, "{}", roff(l))?;
    }
    writeln!(out, ".fi\n.RE")
}

fn man(out: &mut dyn Write) -> io::Result<()> {
    let page = clap_mangen::Man::new(command()).manual("fumi manual");
    page.render_title(out)?;
    page.render_name_section(out)?;
    writeln!(out, ".SH SYNOPSIS")?;
    for s in [
        "fumi [OPTIONS] [FILE...]",
        "fumi --pipe [--insert-flag] [--insert-probability] < MESSAGE",
        "fumi --add-spam|--add-clean|--sub-spam|--sub-clean [FILE|DIR...]",
        "fumi --scan PATH...",
        "fumi --import-clean|--import-spam|--import-bogofilter|--import-db [FILE]",
        "fumi --export-clean|--export-spam|--export-probability|--export-db [FILE]",
    ] {
        writeln!(out, "{}\n.br", roff(s))?;
    }
    page.render_description_section(out)?;
    page.render_options_section(out)?;
    section(
        out,
        "EXIT STATUS",
        &[
            "Filtering without --pipe: 0 if any message is spam, 1 if none is (as bsfilter). \
             With --pipe: 0, and the message is always written out. Training, imports, exports \
             and other commands: 0. Usage errors (unknown option, bad value, --imap, --pop): 2. \
             Internal errors (unreadable database, I/O error): 3, never 1, because 1 means clean.",
        ],
    )?;
    section(
        out,
        "FILES",
        &[
            "~/.fumi/data.mdb, ~/.fumi/lock.mdb: the database (LMDB), in the home directory \
             chosen by --homedir, else $FUMI_HOME, else ~/.fumi. Created mode 0700/0600.",
            "~/.fumi/fumi.conf: options, one \"option value\" per line, long names without \
             the leading dashes, # starts a comment; the command line wins. Run as bsfilter \
             (or with --bsfilter-compat), fumi reads bsfilter.conf from the home directory \
             when there is no fumi.conf.",
        ],
    )?;
    section(
        out,
        "ENVIRONMENT",
        &[
            "FUMI_HOME: the home directory when --homedir is not given. \
             HOME: ~/.fumi is used when neither is set.",
        ],
    )?;
    section(
        out,
        "COMPATIBILITY WITH BSFILTER",
        &[
            "fumi accepts every option of bsfilter 1.0.19, so recipes, MUA settings and \
             bsfilter.conf files keep working; installed as (or linked to) bsfilter it also \
             reads bsfilter.conf. Options fumi does not need are accepted and have no effect; \
             each says so above. --imap and --pop are refused with exit status 2, because \
             ignoring them would leave mail unfiltered.",
        ],
    )?;
    writeln!(out, ".SH EXAMPLES")?;
    writeln!(out, "Learn, then filter from procmail:")?;
    example(
        out,
        &[
            "fumi --add-spam ~/Maildir/.Junk",
            "fumi --add-clean ~/Maildir/cur",
            "",
            ":0 fw",
            "| fumi -a --pipe --insert-flag --insert-probability",
            ":0:",
            "* ^X-Spam-Flag: Yes",
            ".Junk/",
        ],
    )?;
    writeln!(out, ".PP\nMove from bsfilter, and back up the database:")?;
    example(
        out,
        &[
            "bsfilter --export-clean > clean.txt; bsfilter --export-spam > spam.txt",
            "fumi --import-clean clean.txt; fumi --import-spam spam.txt",
            "fumi --export-db backup.fumi",
            "fumi --homedir /new/home --import-db backup.fumi",
        ],
    )?;
    writeln!(out, ".PP\nExpire tokens not seen for 180 days (cron):")?;
    example(out, &["fumi --expire 180"])?;
    section(
        out,
        "SEE ALSO",
        &[
            "bsfilter(1), bogofilter(1), procmail(1), maildrop(1). The README explains \
           installation, procmail, maildrop, Postfix and Dovecot set-ups, migration and tuning.",
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_escapes() {
        assert_eq!(roff("--add-spam"), "\\-\\-add\\-spam");
        assert_eq!(roff(".fumi"), "\\&.fumi");
        assert_eq!(roff("a\\b"), "a\\eb");
    }

    #[test]
    fn every_kind_renders() {
        for kind in ["man", "bash", "zsh", "fish"] {
            let mut out = Vec::new();
            generate(kind, &mut out).expect("render");
            let text = String::from_utf8(out).expect("utf8").replace("\\-", "-");
            assert!(text.contains("import-bogofilter"), "{kind}");
            if kind == "man" {
                assert!(!text.contains("--generate"), "hidden option in the manual");
                assert!(
                    text.contains("jtokenizer"),
                    "-h hides it, the manual does not"
                );
            }
        }
        assert!(generate("tcsh", &mut Vec::new()).is_err());
    }
}
