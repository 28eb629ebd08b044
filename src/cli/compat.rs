//! bsfilter compatibility: fumi accepts every option bsfilter 1.0.19 has, so
//! that a `bsfilter` symlink to fumi, an old `bsfilter.conf` or an MUA's
//! command line keeps working. Options that have a fumi equivalent map onto
//! it; options fumi does not need are accepted and do nothing (README,
//! "bsfilter compatibility", lists each with the reason); the IMAP and POP
//! modes are refused loudly, because accepting them silently would mean
//! mail is not filtered at all.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use super::Failure;
use super::args::Args;

/// The database types bsfilter's `--db` takes. They name bsfilter's own
/// file formats; fumi's store is LMDB, so they select nothing.
pub const BSFILTER_DB_TYPES: &[&str] = &["sdbm", "gdbm", "bdb", "qdbm", "ndbm", "bdb1"];

/// Is the program being run under bsfilter's name (a `bsfilter` symlink)?
pub fn invoked_as_bsfilter(argv0: &OsStr) -> bool {
    Path::new(argv0)
        .file_name()
        .is_some_and(|n| n == "bsfilter")
}

/// Compatibility mode: run as `bsfilter`, or `--bsfilter-compat` given.
pub fn compat_mode(argv: &[OsString]) -> bool {
    argv.first().is_some_and(|a| invoked_as_bsfilter(a))
        || argv
            .iter()
            .skip(1)
            .take_while(|a| *a != "--")
            .any(|a| a == "--bsfilter-compat")
}

/// The configuration file read when `--config-file` is not given:
/// `<home>/fumi.conf`; in compatibility mode, `<home>/bsfilter.conf` when
/// there is no fumi.conf but there is a bsfilter.conf.
pub fn default_config(home: &Path, compat: bool) -> PathBuf {
    let fumi = home.join("fumi.conf");
    if compat && !fumi.exists() {
        let bsfilter = home.join("bsfilter.conf");
        if bsfilter.is_file() {
            return bsfilter;
        }
    }
    fumi
}

/// `--db VALUE`. bsfilter's type names are accepted and change nothing;
/// any other value is not a database fumi knows.
pub fn check_db(value: &str) -> Result<(), Failure> {
    if BSFILTER_DB_TYPES.contains(&value)
        || crate::store::redis::is_url(value)
        || value.contains('/')
    {
        return Ok(());
    }
    Err(Failure::usage(format!(
        "--db {value:?}: give a redis:// URL or the path of an LMDB directory; \
         bsfilter's type names ({}) are accepted and ignored",
        BSFILTER_DB_TYPES.join(", ")
    )))
}

/// Is `--db` one of bsfilter's database type names (which fumi ignores)?
pub fn is_bsfilter_db_type(value: &str) -> bool {
    BSFILTER_DB_TYPES.contains(&value)
}

/// Maps the bsfilter options that have a fumi equivalent onto it.
pub fn apply(args: &mut Args) {
    if args.debug {
        args.explain = true;
    }
    if args.show_process && args.verbose == 0 {
        args.verbose = 1;
    }
}

/// Refuses what fumi does not do.
pub fn validate(args: &Args) -> Result<(), Failure> {
    if args.imap {
        return Err(Failure::usage(
            "--imap is not supported: fumi does not fetch mail from an IMAP server. \
             Filter at delivery instead (procmail, maildrop, Postfix or Dovecot; see README), \
             and let Dovecot's IMAPSieve run fumi --add-spam/--add-clean when messages \
             are moved into or out of Junk",
        ));
    }
    if args.pop {
        return Err(Failure::usage(
            "--pop is not supported: fumi has no POP3 proxy. \
             Filter at delivery instead (procmail, maildrop, Postfix or Dovecot; see README), \
             or filter what your POP client (fetchmail, getmail) delivers through procmail",
        ));
    }
    if let Some(db) = &args.db {
        check_db(db)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_name() {
        assert!(invoked_as_bsfilter(OsStr::new("/usr/local/bin/bsfilter")));
        assert!(invoked_as_bsfilter(OsStr::new("bsfilter")));
        assert!(!invoked_as_bsfilter(OsStr::new("/usr/bin/fumi")));
        assert!(!invoked_as_bsfilter(OsStr::new("bsfilter.rb")));
        let v = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(compat_mode(&v(&["fumi", "--bsfilter-compat"])));
        assert!(!compat_mode(&v(&["fumi", "--", "--bsfilter-compat"])));
        assert!(!compat_mode(&v(&["fumi", "-s"])));
    }

    #[test]
    fn db_types() {
        for t in BSFILTER_DB_TYPES {
            assert!(check_db(t).is_ok());
        }
        assert_eq!(check_db("mysql").map_err(|f| f.code).err(), Some(2));
    }

    #[test]
    fn config_fallback() {
        let dir = tempfile::tempdir().expect("tempdir");
        let h = dir.path();
        assert_eq!(default_config(h, true), h.join("fumi.conf"));
        std::fs::write(h.join("bsfilter.conf"), "").expect("write");
        assert_eq!(default_config(h, false), h.join("fumi.conf"));
        assert_eq!(default_config(h, true), h.join("bsfilter.conf"));
        std::fs::write(h.join("fumi.conf"), "").expect("write");
        assert_eq!(default_config(h, true), h.join("fumi.conf"));
    }
}
