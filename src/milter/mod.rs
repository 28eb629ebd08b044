//! `fumi --milter ADDR`: a long-running mail filter for Postfix and Sendmail.
//!
//! The milter protocol is implemented here ([`protocol`], [`session`]) on
//! plain threads, one per MTA connection (Postfix opens one per SMTP
//! session), rather than with a milter crate: the maintained Rust crates
//! are GPL-3.0 (indymilter) or need an async runtime and a dozen crates
//! (miltr-server), while the protocol needs a few hundred lines.
//!
//! Each message is scored with the same engine and database as the command
//! line. The database is opened once; every message reads it in its own
//! LMDB read transaction, so training done meanwhile (`fumi --add-spam`)
//! counts from the next message on. SIGHUP re-reads the options (command
//! line and `fumi.conf`); SIGTERM and SIGINT stop accepting connections and
//! let messages in progress finish.

pub mod protocol;
pub mod session;

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use crate::cli::{self, EXIT_ERROR, EXIT_USAGE, args::Args};
use crate::engine::{Counts, Engine};
use crate::score::Verdict;
use crate::store::Store;
use crate::store::lmdb::Mode;
use session::{Flow, Scorer, Session};

/// Connections served at once; more are closed at once (the MTA then
/// applies its `milter_default_action`).
const MAX_CONNECTIONS: usize = 1000;
/// How often blocked reads and accept look at the stop flag.
const TICK: Duration = Duration::from_millis(500);
/// A connection idle this long is dropped.
const IDLE_LIMIT: Duration = Duration::from_secs(3600);
/// How long a shutdown waits for messages in progress.
const GRACE: Duration = Duration::from_secs(20);

/// What the milter does, from the options; replaced as a whole on SIGHUP.
pub struct Settings {
    pub scorer: Box<dyn Scorer>,
    /// `--header-prefix`: fields are `X-PREFIX-Flag` and so on.
    pub prefix: String,
    pub insert_revision: bool,
    /// `--mark-spam-subject`: the prefix for the Subject of spam.
    pub subject_prefix: Option<String>,
    pub reject_above: Option<f64>,
    pub quarantine_above: Option<f64>,
    pub skip_networks: Vec<Network>,
    pub scan_authenticated: bool,
    /// Bytes of a message collected for scoring.
    pub max_bytes: usize,
}

impl Settings {
    /// The names of the Flag, Probability and Revision fields.
    pub fn field_names(&self) -> [String; 3] {
        let p = &self.prefix;
        [
            format!("X-{p}-Flag"),
            format!("X-{p}-Probability"),
            format!("X-{p}-Revision"),
        ]
    }

    /// Settings from the options, with the engine and database they name.
    pub fn from_args(args: &Args) -> Result<Settings, String> {
        for (name, v) in [
            ("--milter-reject", args.milter_reject),
            ("--milter-quarantine", args.milter_quarantine),
        ] {
            if let Some(v) = v
                && !(0.0..=1.0).contains(&v)
            {
                return Err(format!("{name} {v}: must be between 0 and 1"));
            }
        }
        let skip_networks = args
            .milter_skip_network
            .iter()
            .map(|n| Network::parse(n))
            .collect::<Result<Vec<_>, _>>()?;
        let engine = cli::engine(args);
        // Load the Japanese dictionary now rather than on the first message.
        let _ = engine.tokens("Subject: 迷惑メール\n\nこんにちは\n".as_bytes());
        Ok(Settings {
            max_bytes: engine.max_message_bytes,
            scorer: Box::new(EngineScorer {
                engine,
                args: args.clone(),
                db: OnceLock::new(),
            }),
            prefix: args.header_prefix.clone(),
            insert_revision: args.insert_revision,
            subject_prefix: args
                .mark_spam_subject
                .then(|| args.spam_subject_prefix.clone()),
            reject_above: args.milter_reject,
            quarantine_above: args.milter_quarantine,
            skip_networks,
            scan_authenticated: args.milter_scan_authenticated,
        })
    }
}

/// Scores with the command line's engine and database.
struct EngineScorer {
    engine: Engine,
    args: Args,
    /// Opened on first use and kept: a missing database is retried with
    /// each message until it appears.
    db: OnceLock<&'static dyn Store>,
}

impl EngineScorer {
    fn db(&self) -> Result<&'static dyn Store, String> {
        if let Some(db) = self.db.get() {
            return Ok(*db);
        }
        let db = cli::open_store(&self.args, Mode::Existing).map_err(|f| f.message)?;
        Ok(*self.db.get_or_init(|| db))
    }
}

impl Scorer for EngineScorer {
    fn score(&self, raw: &[u8]) -> Result<(f64, Verdict), String> {
        let db = self.db()?;
        let scored = self
            .engine
            .score(raw, &Counts::Store(db))
            .map_err(|e| e.to_string())?;
        Ok((scored.outcome.probability, scored.outcome.verdict))
    }
}

/// An IP network (`--milter-skip-network`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// `10.0.0.0/8`, `2001:db8::/32`, or a single address.
    pub fn parse(s: &str) -> Result<Network, String> {
        let s = s.trim();
        let bad = || format!("--milter-skip-network {s:?}: not an address or network (CIDR)");
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|&p| p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Network { addr, prefix })
    }

    /// Is `ip` inside? IPv4-mapped IPv6 addresses count as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let bits = |a: IpAddr| -> (u128, u32) {
            match a {
                IpAddr::V4(v) => (u32::from(v) as u128, 32),
                IpAddr::V6(v) => (u128::from(v), 128),
            }
        };
        let (net, width) = bits(self.addr);
        let (x, xwidth) = bits(ip);
        if width != xwidth {
            return false;
        }
        let shift = width - self.prefix as u32;
        if shift >= 128 {
            return true;
        }
        (net >> shift) == (x >> shift)
    }
}

/// One log line: what happened to a message.
pub struct Record<'a> {
    pub queue_id: &'a str,
    /// spam, unsure, clean, skipped or error.
    pub verdict: &'a str,
    pub probability: Option<f64>,
    /// accept, reject or quarantine.
    pub action: &'a str,
    pub client: Option<IpAddr>,
    /// Bytes received from the MTA.
    pub size: u64,
    /// Time spent scoring.
    pub millis: f64,
    pub note: Option<&'a str>,
}

impl Record<'_> {
    /// `QUEUEID: verdict=spam, probability=0.999000, action=reject,
    /// client=[192.0.2.1], size=4812, time=2.1ms`, in the style of
    /// Postfix's own log lines.
    pub fn line(&self) -> String {
        let mut s = format!("{}: verdict={}", self.queue_id, self.verdict);
        if let Some(p) = self.probability {
            s.push_str(&format!(", probability={p:.6}"));
        }
        s.push_str(&format!(", action={}", self.action));
        match self.client {
            Some(ip) => s.push_str(&format!(", client=[{ip}]")),
            None => s.push_str(", client=unknown"),
        }
        s.push_str(&format!(", size={}, time={:.1}ms", self.size, self.millis));
        if let Some(n) = self.note {
            let key = if self.verdict == "error" {
                "error"
            } else {
                "reason"
            };
            let n: String = n
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            s.push_str(&format!(", {key}={n}"));
        }
        s
    }
}

/// Where log lines go.
pub enum Logger {
    Stderr,
    /// The local syslog socket, facility mail.
    Syslog(UnixDatagram),
}

impl Logger {
    fn new(target: &str) -> Logger {
        if target == "syslog"
            && let Ok(sock) = UnixDatagram::unbound()
        {
            return Logger::Syslog(sock);
        }
        Logger::Stderr
    }

    /// Logs at `info` (or `warning`) level.
    pub fn log(&self, warning: bool, msg: &str) {
        match self {
            Logger::Stderr => eprintln!("fumi: milter: {msg}"),
            Logger::Syslog(sock) => {
                // Facility mail (2), severity info (6) or warning (4).
                let pri = 2 * 8 + if warning { 4 } else { 6 };
                let line = format!("<{pri}>fumi[{}]: {msg}", std::process::id());
                let sent = ["/dev/log", "/var/run/syslog"]
                    .iter()
                    .any(|p| sock.send_to(line.as_bytes(), p).is_ok());
                if !sent {
                    eprintln!("fumi: milter: {msg}");
                }
            }
        }
    }
}

/// Where the milter listens.
#[derive(Debug, PartialEq, Eq)]
pub enum Endpoint {
    Inet(SocketAddr),
    Unix(PathBuf),
}

impl Endpoint {
    /// Postfix notation `inet:HOST:PORT`, `inet:[::1]:PORT`, `inet:PORT`
    /// (loopback), `unix:/path` (also `local:`); Sendmail's
    /// `inet:PORT@HOST` too.
    pub fn parse(s: &str) -> Result<Endpoint, String> {
        let bad =
            |why: &str| format!("--milter {s:?}: {why} (use inet:127.0.0.1:PORT or unix:/path)");
        if let Some(path) = s
            .strip_prefix("unix:")
            .or_else(|| s.strip_prefix("local:"))
            .or_else(|| s.starts_with('/').then_some(s))
        {
            if !path.starts_with('/') {
                return Err(bad("the socket path must be absolute"));
            }
            return Ok(Endpoint::Unix(PathBuf::from(path)));
        }
        let rest = s
            .strip_prefix("inet:")
            .or_else(|| s.strip_prefix("inet6:"))
            .ok_or_else(|| bad("unknown transport"))?;
        let (host, port) = if let Some((port, host)) = rest.split_once('@') {
            (host, port)
        } else if let Some(r) = rest.strip_prefix('[') {
            let (host, port) = r.split_once("]:").ok_or_else(|| bad("bad address"))?;
            (host, port)
        } else if let Some((host, port)) = rest.rsplit_once(':') {
            (host, port)
        } else {
            ("127.0.0.1", rest)
        };
        let port: u16 = port.parse().map_err(|_| bad("bad port"))?;
        let host = match host {
            "" | "localhost" => "127.0.0.1",
            "*" => "0.0.0.0",
            h => h.trim_start_matches('[').trim_end_matches(']'),
        };
        let addr = match host.parse::<IpAddr>() {
            Ok(ip) => SocketAddr::new(ip, port),
            Err(_) => (host, port)
                .to_socket_addrs()
                .ok()
                .and_then(|mut a| a.next())
                .ok_or_else(|| bad("unknown host"))?,
        };
        Ok(Endpoint::Inet(addr))
    }
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Tcp(s) => s.flush(),
            Conn::Unix(s) => s.flush(),
        }
    }
}

impl Conn {
    fn prepare(&self) -> io::Result<()> {
        match self {
            Conn::Tcp(s) => {
                s.set_nodelay(true)?;
                s.set_read_timeout(Some(TICK))
            }
            Conn::Unix(s) => s.set_read_timeout(Some(TICK)),
        }
    }
}

impl Listener {
    fn bind(ep: &Endpoint, mode: u32) -> io::Result<Listener> {
        match ep {
            Endpoint::Inet(a) => Ok(Listener::Tcp(TcpListener::bind(a)?)),
            Endpoint::Unix(path) => {
                if let Ok(md) = std::fs::symlink_metadata(path) {
                    if !md.file_type().is_socket() {
                        return Err(io::Error::new(
                            io::ErrorKind::AlreadyExists,
                            format!("{} exists and is not a socket", path.display()),
                        ));
                    }
                    if UnixStream::connect(path).is_ok() {
                        return Err(io::Error::new(
                            io::ErrorKind::AddrInUse,
                            format!("another milter listens on {}", path.display()),
                        ));
                    }
                    std::fs::remove_file(path)?;
                }
                let l = UnixListener::bind(path)?;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
                Ok(Listener::Unix(l, path.clone()))
            }
        }
    }

    fn fd(&self) -> i32 {
        match self {
            Listener::Tcp(l) => l.as_raw_fd(),
            Listener::Unix(l, _) => l.as_raw_fd(),
        }
    }

    fn set_nonblocking(&self) -> io::Result<()> {
        match self {
            Listener::Tcp(l) => l.set_nonblocking(true),
            Listener::Unix(l, _) => l.set_nonblocking(true),
        }
    }

    fn accept(&self) -> io::Result<Conn> {
        let c = match self {
            Listener::Tcp(l) => Conn::Tcp(l.accept()?.0),
            Listener::Unix(l, _) => Conn::Unix(l.accept()?.0),
        };
        match &c {
            Conn::Tcp(s) => s.set_nonblocking(false)?,
            Conn::Unix(s) => s.set_nonblocking(false)?,
        }
        Ok(c)
    }

    /// Waits up to `timeout` for a connection; false on timeout.
    fn wait(&self, timeout: Duration) -> bool {
        let mut pfd = libc::pollfd {
            fd: self.fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as libc::c_int) };
        n > 0
    }

    fn describe(&self) -> String {
        match self {
            Listener::Tcp(l) => l
                .local_addr()
                .map(|a| format!("inet:{a}"))
                .unwrap_or_else(|_| "inet".into()),
            Listener::Unix(_, p) => format!("unix:{}", p.display()),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The signals the milter handles, blocked in every thread and taken by
/// one thread with `sigwait`.
fn signal_set() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise and fill a local set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

fn block_signals() -> io::Result<()> {
    let set = signal_set();
    // SAFETY: blocks the signals in this thread; threads started later
    // inherit the mask.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    Ok(())
}

fn wait_signal() -> i32 {
    let set = signal_set();
    let mut sig: libc::c_int = 0;
    // SAFETY: waits for one of the blocked signals.
    let rc = unsafe { libc::sigwait(&set, &mut sig) };
    if rc != 0 { -1 } else { sig }
}

/// Shared by the threads.
struct Shared {
    settings: RwLock<Arc<Settings>>,
    logger: Logger,
    stop: AtomicBool,
    active: AtomicUsize,
    /// The database file in use (home, device and inode), to notice a file
    /// replaced rather than trained in place.
    db_file: Mutex<Option<(PathBuf, (u64, u64))>>,
}

impl Shared {
    fn current(&self) -> Arc<Settings> {
        self.settings
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }
}

/// Runs the milter until SIGTERM or SIGINT; returns the exit status.
/// `argv` is kept to re-read the options on SIGHUP.
pub fn run(argv: &[OsString], args: Args) -> i32 {
    if let Err(e) = block_signals() {
        eprintln!("fumi: milter: cannot block signals: {e}");
        return EXIT_ERROR;
    }
    let Some(addr) = args.milter.as_deref() else {
        return EXIT_USAGE;
    };
    let endpoint = match Endpoint::parse(addr) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("fumi: {e}");
            return EXIT_USAGE;
        }
    };
    let Ok(mode) = u32::from_str_radix(args.milter_socket_mode.trim(), 8) else {
        eprintln!(
            "fumi: --milter-socket-mode {:?}: not an octal mode",
            args.milter_socket_mode
        );
        return EXIT_USAGE;
    };
    let settings = match Settings::from_args(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fumi: {e}");
            return EXIT_USAGE;
        }
    };
    let logger = Logger::new(&args.milter_log);
    if let Err(e) = check_database(&args) {
        logger.log(
            true,
            &format!("{e}; messages pass unscanned until it can be opened"),
        );
    }
    let listener = match Listener::bind(&endpoint, mode).and_then(|l| {
        l.set_nonblocking()?;
        Ok(l)
    }) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("fumi: milter: cannot listen on {addr}: {e}");
            return EXIT_ERROR;
        }
    };
    if let Endpoint::Inet(a) = &endpoint
        && !a.ip().is_loopback()
    {
        logger.log(
            true,
            &format!("listening on {a}, not loopback: the milter protocol has no authentication; firewall it"),
        );
    }
    let shared = Arc::new(Shared {
        settings: RwLock::new(Arc::new(settings)),
        logger,
        stop: AtomicBool::new(false),
        active: AtomicUsize::new(0),
        db_file: Mutex::new(db_file(&args)),
    });
    spawn_signal_thread(argv.to_vec(), addr.to_string(), shared.clone());
    shared.logger.log(
        false,
        &format!(
            "fumi {} listening on {}",
            env!("CARGO_PKG_VERSION"),
            listener.describe()
        ),
    );

    while !shared.stop.load(Ordering::SeqCst) {
        if !listener.wait(TICK) {
            continue;
        }
        let conn = match listener.accept() {
            Ok(c) => c,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(e) => {
                shared.logger.log(true, &format!("accept: {e}"));
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        if shared.active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            shared.logger.log(
                true,
                &format!("{MAX_CONNECTIONS} connections busy; refusing one"),
            );
            continue;
        }
        shared.active.fetch_add(1, Ordering::SeqCst);
        let sh = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("milter-conn".into())
            .spawn(move || {
                serve(conn, &sh);
                sh.active.fetch_sub(1, Ordering::SeqCst);
            });
        if let Err(e) = spawned {
            shared.active.fetch_sub(1, Ordering::SeqCst);
            shared
                .logger
                .log(true, &format!("cannot start a thread: {e}"));
        }
    }
    drop(listener);
    let deadline = Instant::now() + GRACE;
    while shared.active.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = shared.active.load(Ordering::SeqCst);
    if left > 0 {
        shared
            .logger
            .log(true, &format!("stopped with {left} connections still open"));
    } else {
        shared.logger.log(false, "stopped");
    }
    0
}

/// The home and the identity of its `data.mdb`.
fn db_file(args: &Args) -> Option<(PathBuf, (u64, u64))> {
    use std::os::unix::fs::MetadataExt;
    let home = cli::resolve_home(args.homedir.as_deref())?;
    let md = std::fs::metadata(home.join("data.mdb")).ok()?;
    Some((home, (md.dev(), md.ino())))
}

fn check_database(args: &Args) -> Result<(), String> {
    let db = cli::open_store(args, Mode::Existing).map_err(|f| f.message)?;
    let engine = cli::engine(args);
    let current = engine.tokenizer.id();
    let recorded = db.tokenizer_id(&current).map_err(|e| e.to_string())?;
    if recorded != current {
        return Err(format!(
            "the database was trained with tokenizer '{recorded}', this fumi uses '{current}'; retrain for best results"
        ));
    }
    Ok(())
}

fn spawn_signal_thread(argv: Vec<OsString>, addr: String, shared: Arc<Shared>) {
    let spawned = std::thread::Builder::new()
        .name("milter-signals".into())
        .spawn(move || {
            loop {
                match wait_signal() {
                    libc::SIGHUP => reload(&argv, &addr, &shared),
                    libc::SIGTERM | libc::SIGINT => {
                        shared.logger.log(false, "stopping");
                        shared.stop.store(true, Ordering::SeqCst);
                        return;
                    }
                    _ => std::thread::sleep(Duration::from_millis(100)),
                }
            }
        });
    if spawned.is_err() {
        eprintln!("fumi: milter: cannot start the signal thread; stop it with SIGKILL");
    }
}

/// SIGHUP: re-reads the command line and the configuration file. The
/// listening address stays; everything else takes effect from the next
/// message.
fn reload(argv: &[OsString], addr: &str, shared: &Shared) {
    let parsed = cli::parse(argv)
        .map_err(|f| f.message.trim_end().to_string())
        .and_then(|args| Settings::from_args(&args).map(|s| (args, s)));
    match parsed {
        Ok((args, settings)) => {
            if args.milter.as_deref() != Some(addr) {
                shared.logger.log(
                    true,
                    "reload: a new --milter address takes a restart; keeping the old one",
                );
            }
            if let Err(e) = check_database(&args) {
                shared.logger.log(true, &format!("reload: {e}"));
            }
            let now = db_file(&args);
            let mut was = shared.db_file.lock().unwrap_or_else(|e| e.into_inner());
            if let (Some((home, id)), Some((old_home, old_id))) = (&now, &*was)
                && home == old_home
                && id != old_id
            {
                // The open environment stays on the old file (training in
                // place needs nothing; a new file needs a new process).
                shared.logger.log(
                    true,
                    &format!(
                        "reload: {} was replaced by another file; restart the milter to use it",
                        home.join("data.mdb").display()
                    ),
                );
            } else if now.is_some() {
                *was = now;
            }
            match shared.settings.write() {
                Ok(mut s) => *s = Arc::new(settings),
                Err(e) => *e.into_inner() = Arc::new(settings),
            }
            shared.logger.log(false, "reloaded the configuration");
        }
        Err(e) => shared.logger.log(
            true,
            &format!("reload failed, keeping the old configuration: {e}"),
        ),
    }
}

/// Serves one MTA connection until it quits, fails, or the milter stops.
fn serve(mut conn: Conn, shared: &Shared) {
    if let Err(e) = conn.prepare() {
        shared.logger.log(true, &format!("connection setup: {e}"));
        return;
    }
    let settings = || shared.current();
    let log = |r: &Record<'_>| shared.logger.log(false, &r.line());
    let mut session = Session::new(&settings, &log);
    let mut packet = Vec::with_capacity(64 << 10);
    let mut out = Vec::with_capacity(4 << 10);
    let mut stop_deadline: Option<Instant> = None;
    loop {
        let busy = session.busy();
        let waiting_since = Instant::now();
        let mut give_up = |partial: bool| {
            if shared.stop.load(Ordering::SeqCst) {
                if !partial && !busy {
                    return true;
                }
                // A message in progress may finish, within the grace time.
                let deadline = *stop_deadline.get_or_insert_with(|| Instant::now() + GRACE);
                return Instant::now() >= deadline;
            }
            waiting_since.elapsed() > IDLE_LIMIT
        };
        match protocol::read_packet(&mut conn, &mut packet, &mut give_up) {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return,
            Err(e) => {
                if !matches!(&e, protocol::Error::Io(io) if io.kind() == io::ErrorKind::ConnectionReset)
                {
                    shared.logger.log(true, &format!("connection dropped: {e}"));
                }
                return;
            }
        }
        out.clear();
        let flow = session.handle(&packet, &mut out);
        if !out.is_empty()
            && let Err(e) = conn.write_all(&out)
        {
            shared.logger.log(true, &format!("writing to the MTA: {e}"));
            return;
        }
        match flow {
            Ok(Flow::Continue) => {}
            Ok(Flow::Quit) => return,
            Err(e) => {
                shared.logger.log(true, &format!("connection dropped: {e}"));
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let inet = |s: &str| match Endpoint::parse(s) {
            Ok(Endpoint::Inet(a)) => a.to_string(),
            other => format!("{other:?}"),
        };
        assert_eq!(inet("inet:127.0.0.1:8894"), "127.0.0.1:8894");
        assert_eq!(inet("inet:8894"), "127.0.0.1:8894");
        assert_eq!(inet("inet:localhost:8894"), "127.0.0.1:8894");
        assert_eq!(inet("inet:8894@127.0.0.1"), "127.0.0.1:8894");
        assert_eq!(inet("inet:[::1]:8894"), "[::1]:8894");
        assert_eq!(inet("inet6:[::1]:8894"), "[::1]:8894");
        assert_eq!(inet("inet:*:8894"), "0.0.0.0:8894");
        assert_eq!(
            Endpoint::parse("unix:/run/fumi/milter.sock"),
            Ok(Endpoint::Unix("/run/fumi/milter.sock".into()))
        );
        assert_eq!(Endpoint::parse("local:/s"), Ok(Endpoint::Unix("/s".into())));
        assert!(Endpoint::parse("unix:relative").is_err());
        assert!(Endpoint::parse("tcp:1.2.3.4:5").is_err());
        assert!(Endpoint::parse("inet:127.0.0.1:99999").is_err());
        assert!(Endpoint::parse("inet:[::1").is_err());
    }

    #[test]
    fn networks() {
        let n = Network::parse("10.0.0.0/8").expect("net");
        assert!(n.contains("10.200.1.1".parse().expect("ip")));
        assert!(!n.contains("11.0.0.1".parse().expect("ip")));
        assert!(n.contains("::ffff:10.0.0.1".parse().expect("ip")));
        assert!(!n.contains("2001:db8::1".parse().expect("ip")));
        let n = Network::parse("2001:db8::/32").expect("net");
        assert!(n.contains("2001:db8:ffff::1".parse().expect("ip")));
        assert!(!n.contains("2001:db9::1".parse().expect("ip")));
        let n = Network::parse("192.0.2.7").expect("net");
        assert!(n.contains("192.0.2.7".parse().expect("ip")));
        assert!(!n.contains("192.0.2.8".parse().expect("ip")));
        assert!(
            Network::parse("0.0.0.0/0")
                .expect("net")
                .contains("8.8.8.8".parse().expect("ip"))
        );
        assert!(
            Network::parse("::/0")
                .expect("net")
                .contains("::1".parse().expect("ip"))
        );
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("example.org").is_err());
    }

    #[test]
    fn log_line() {
        let r = Record {
            queue_id: "4F9D12B2",
            verdict: "error",
            probability: None,
            action: "accept",
            client: None,
            size: 10,
            millis: 1.34,
            note: Some("LMDB: bad\nthing"),
        };
        assert_eq!(
            r.line(),
            "4F9D12B2: verdict=error, action=accept, client=unknown, size=10, time=1.3ms, error=LMDB: bad thing"
        );
    }
}

#[cfg(test)]
mod option_tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn milter_options() {
        let a = Args::try_parse_from([
            "fumi",
            "--milter",
            "inet:8894",
            "--milter-skip-network",
            "10.0.0.0/8,192.168.0.0/16",
            "--milter-skip-network",
            "::1",
            "--milter-reject",
            "0.99",
        ])
        .expect("parse");
        assert_eq!(a.milter.as_deref(), Some("inet:8894"));
        assert_eq!(
            a.milter_skip_network,
            ["10.0.0.0/8", "192.168.0.0/16", "::1"]
        );
        assert_eq!(a.milter_reject, Some(0.99));
        assert_eq!(a.milter_socket_mode, "660");
        assert_eq!(a.milter_log, "stderr");
        let mut bad = a.clone();
        bad.milter_quarantine = Some(1.5);
        assert!(Settings::from_args(&bad).is_err_and(|e| e.contains("--milter-quarantine")));
        let mut bad = a;
        bad.milter_skip_network = vec!["10.0.0.0/40".into()];
        assert!(Settings::from_args(&bad).is_err());
        assert!(Args::try_parse_from(["fumi", "--milter-log", "file"]).is_err());
    }
}
