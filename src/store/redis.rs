//! The Redis (or Valkey) store: one database shared by every host of a site.
//!
//! A database is three Redis hashes whose names share a prefix (default
//! `fumi`, `--redis-prefix`), in braces so that Redis Cluster puts all of them
//! in one hash slot:
//!
//! * `{P}:tokens`: field `[category] ++ token`, value `SPAM CLEAN DAY` in
//!   decimal (counts and the day the token was last trained, days since
//!   2000-01-01);
//! * `{P}:trained`: field the 16-byte digest of a trained message, value its
//!   class letter (`s` or `c`) followed by the day it was trained;
//! * `{P}:meta`: message counts, format version, tokenizer id, dates.
//!
//! Training runs as Lua scripts: each script checks the digests of its
//! messages, applies move-on-relearn, and changes token counts, message
//! counts and digests together, so no client ever sees one without the
//! other. A large batch is cut into chunks of whole messages
//! ([`CHUNK_TOKENS`]) sent in one pipeline, so that no single script blocks
//! the server (and every delivery waiting on it) for long. Retrying a batch
//! is harmless: a message already learned as a class is not learned again.
//!
//! Scoring reads the message counts and all of a message's tokens in one
//! `MULTI`/`EXEC` pipeline: one round trip, one consistent view (on Redis
//! Cluster, whose client does not pipeline, one read-only script instead).
//!
//! Every wait is bounded: connecting and each command time out after
//! `--redis-timeout` milliseconds.
//!
//! Three ways to reach the server: one address; Redis Sentinel (ask the
//! sentinels for the primary, check its role, ask again after a failover);
//! Redis Cluster (the hash tag keeps a database on one node, so its scripts
//! and `MULTI`s are legal there).
//!
//! Expiry is never done on the delivery path: `--expire` walks the tokens
//! with `HSCAN` in small steps and deletes the expired ones with a script that
//! checks each token again, so tokens trained in the meantime survive.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use ::redis::cluster::{ClusterClient, ClusterClientBuilder};
use ::redis::{
    Client, Cmd, ConnectionLike, ErrorKind, FromRedisValue, RedisError, ServerErrorKind, Value,
};

use super::lmdb::{Mode, day_to_date};
use super::{
    Action, Class, Digest, Error, ExpirePolicy, Result, Snapshot, Store, TokenCounts, Totals,
    TrainOp, TrainReport, today,
};

/// The format of the data this code writes.
pub const FORMAT_VERSION: u32 = 1;

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "fumi";

/// The default bound on connecting and on each command, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 3000;

/// Token updates per training script: bounds how long one script blocks the
/// server. A message is never split.
pub const CHUNK_TOKENS: usize = 5_000;

/// Fields asked for per `HSCAN` step.
const SCAN_COUNT: usize = 5000;

/// Does this `--db` value name a Redis (or Valkey) server?
pub fn is_url(s: &str) -> bool {
    [
        "redis://",
        "rediss://",
        "redis+unix://",
        "unix://",
        "valkey://",
        "valkeys://",
        "valkey+unix://",
    ]
    .iter()
    .any(|p| s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p))
}

/// The URL with its password replaced by `***`, for messages.
pub fn mask_url(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..end].rfind('@') else {
        return url.to_string();
    };
    let userinfo = &rest[..at];
    let masked = match userinfo.find(':') {
        Some(c) => format!("{}:***", &userinfo[..c]),
        None if userinfo.is_empty() => String::new(),
        // `redis://password@host` is how some write a password alone.
        None => "***".to_string(),
    };
    format!("{}{}{}", &url[..start], masked, &rest[at..])
}

/// Is this a usable key prefix? Braces would break the hash tag.
pub fn valid_prefix(p: &str) -> bool {
    !p.is_empty() && p.len() <= 200 && !p.contains(['{', '}']) && !p.chars().any(char::is_control)
}

/// How to reach the server.
#[derive(Clone, Debug)]
pub struct Options {
    /// `redis://[user:pass@]host:port/N`, `rediss://…`, `redis+unix:///path?db=N`.
    pub url: String,
    /// Namespace of this database on the server.
    pub prefix: String,
    /// Bound on connecting and on each command.
    pub timeout: Duration,
    /// PEM file with the certificate authorities to trust for `rediss://`
    /// (default: the system's).
    pub ca_file: Option<std::path::PathBuf>,
    /// `url` is a comma-separated list of nodes of a Redis Cluster.
    pub cluster: bool,
    /// The hosts in `url` are Redis Sentinels; this is the name of the
    /// primary they watch.
    pub sentinel: Option<String>,
}

type Connection = Box<dyn ConnectionLike + Send>;

struct Conn {
    con: Connection,
    scripts_loaded: bool,
}

/// A server, or a cluster of them.
enum Backend {
    Single(Client),
    Cluster(ClusterClient),
    /// Sentinels to ask for the primary of `name`, and how to reach it.
    Sentinel {
        name: String,
        url: SentinelUrl,
        certs: Option<::redis::TlsCertificates>,
    },
}

/// `SCHEME://[USERINFO@]HOST:PORT,HOST:PORT…[/DB][?QUERY]` split up: the
/// hosts are the sentinels; the rest is how to reach the primary they name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentinelUrl {
    scheme: String,
    userinfo: String,
    sentinels: Vec<String>,
    rest: String,
}

impl SentinelUrl {
    pub fn parse(url: &str) -> Option<SentinelUrl> {
        let (scheme, after) = url.split_once("://")?;
        let end = after.find(['/', '?']).unwrap_or(after.len());
        let (authority, rest) = after.split_at(end);
        let (userinfo, hosts) = match authority.rfind('@') {
            Some(at) => (&authority[..=at], &authority[at + 1..]),
            None => ("", authority),
        };
        let sentinels: Vec<String> = hosts
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(|h| h.to_string())
            .collect();
        (!sentinels.is_empty()).then(|| SentinelUrl {
            scheme: scheme.to_string(),
            userinfo: userinfo.to_string(),
            sentinels,
            rest: rest.to_string(),
        })
    }

    /// The URL of a sentinel (no credentials, no database).
    fn sentinel(&self, host: &str) -> String {
        format!("{}://{host}", self.scheme)
    }

    /// The URL of the primary at `host:port`.
    fn primary(&self, host: &str, port: u16) -> String {
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        format!(
            "{}://{}{host}:{port}{}",
            self.scheme, self.userinfo, self.rest
        )
    }
}

/// An open Redis database.
pub struct Redis {
    client: Backend,
    con: Mutex<Option<Conn>>,
    tokens: String,
    trained: String,
    meta: String,
    timeout: Duration,
    display: String,
    prefix: String,
    tokenizer: Mutex<Option<String>>,
    train_script: Lua,
    counts_script: Lua,
    expire_script: Lua,
    lookup_script: Lua,
}

/// A Lua script and its SHA-1.
struct Lua {
    code: String,
    hash: String,
}

impl Lua {
    fn new(body: &str) -> Lua {
        let code = format!("{LUA_APPLY}{body}");
        let hash = ::redis::Script::new(&code).get_hash().to_string();
        Lua { code, hash }
    }
}

fn registry() -> &'static Mutex<HashMap<(String, String), &'static Redis>> {
    static R: OnceLock<Mutex<HashMap<(String, String), &'static Redis>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// Applies token deltas: `deltas` maps a field to `{spam, clean}`; a token
/// whose counts reach zero is deleted; the day is set when a count grows.
/// Reads everything first and returns an error before writing anything if a
/// value is damaged (a Lua script that fails halfway keeps its writes).
const LUA_APPLY: &str = r#"
local MAX = 4294967295
local function parse_counts(v)
  local s, c, d = string.match(v, '^(%d+) (%d+) (%d+)$')
  if not s then return nil end
  return tonumber(s), tonumber(c), tonumber(d)
end
local function clamp(x)
  if x < 0 then return 0 elseif x > MAX then return MAX else return x end
end
-- Runs a command on many arguments, STEP at a time (Lua's unpack has a
-- stack limit); returns the replies of all steps, concatenated.
local STEP = 1000
local function each(cmd, key, args)
  local out = {}
  for i = 1, #args, STEP do
    local r = redis.call(cmd, key, unpack(args, i, math.min(i + STEP - 1, #args)))
    if type(r) == 'table' then
      for j = 1, #r do out[#out + 1] = r[j] end
    end
  end
  return out
end
local function apply(key, deltas, day)
  local fields, ds = {}, {}
  for t, d in pairs(deltas) do
    if d[1] ~= 0 or d[2] ~= 0 then
      fields[#fields + 1] = t
      ds[#ds + 1] = d
    end
  end
  local cur = each('HMGET', key, fields)
  local sets, dels = {}, {}
  for i = 1, #fields do
    local s, c, dy = 0, 0, 0
    if cur[i] then
      s, c, dy = parse_counts(cur[i])
      if not s then return redis.error_reply('fumi: damaged token value') end
    end
    local d = ds[i]
    s = clamp(s + d[1])
    c = clamp(c + d[2])
    if d[1] > 0 or d[2] > 0 then dy = day end
    if s == 0 and c == 0 then
      dels[#dels + 1] = fields[i]
    else
      sets[#sets + 1] = fields[i]
      sets[#sets + 1] = s .. ' ' .. c .. ' ' .. dy
    end
  end
  each('HSET', key, sets)
  each('HDEL', key, dels)
  return nil
end
"#;

/// KEYS: tokens, trained, meta. ARGV: day, then per message: digest, action
/// (`as` add spam, `ac` add clean, `ss`/`sc` sub), token count N, and N
/// pairs of token and count. Returns {learned, moved, unlearned, unchanged}.
const LUA_TRAIN: &str = r#"
local day = tonumber(ARGV[1])
local meta = redis.call('HMGET', KEYS[3], 'spam_messages', 'clean_messages')
local tot = { s = tonumber(meta[1]) or 0, c = tonumber(meta[2]) or 0 }
local report = { 0, 0, 0, 0 }
local deltas = {}
local digests = {}
local i, n = 2, #ARGV
while i <= n do
  local digest, act, ntok = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  if not ntok then return redis.error_reply('fumi: bad training arguments') end
  i = i + 3
  local kind, cls = string.sub(act, 1, 1), string.sub(act, 2, 2)
  local prev = digests[digest]
  if prev == nil then
    local v = redis.call('HGET', KEYS[2], digest)
    prev = v and string.sub(v, 1, 1) or false
  end
  local ds, dc = 0, 0
  local function bump(c, by)
    if c == 's' then ds = ds + by; tot.s = math.max(0, tot.s + by)
    else dc = dc + by; tot.c = math.max(0, tot.c + by) end
  end
  if kind == 'a' then
    if prev == cls then
      report[4] = report[4] + 1
    else
      if prev then
        bump(prev, -1)
        report[2] = report[2] + 1
      else
        report[1] = report[1] + 1
      end
      bump(cls, 1)
      digests[digest] = cls
    end
  elseif prev == cls then
    bump(cls, -1)
    digests[digest] = false
    report[3] = report[3] + 1
  else
    report[4] = report[4] + 1
  end
  if ds ~= 0 or dc ~= 0 then
    for j = i, i + 2 * ntok - 1, 2 do
      local t, k = ARGV[j], tonumber(ARGV[j + 1])
      local d = deltas[t]
      if not d then d = { 0, 0 }; deltas[t] = d end
      d[1] = d[1] + ds * k
      d[2] = d[2] + dc * k
    end
  end
  i = i + 2 * ntok
end
local err = apply(KEYS[1], deltas, day)
if err then return err end
for digest, cls in pairs(digests) do
  if cls then
    redis.call('HSET', KEYS[2], digest, cls .. day)
  else
    redis.call('HDEL', KEYS[2], digest)
  end
end
redis.call('HSET', KEYS[3], 'spam_messages', string.format('%d', tot.s),
  'clean_messages', string.format('%d', tot.c), 'last_trained', day)
return report
"#;

/// KEYS: tokens, meta. ARGV: day, spam messages, clean messages, imported
/// spam messages, imported clean messages, then triples of token, spam
/// count, clean count. Raw counts for imports.
const LUA_COUNTS: &str = r#"
local day = tonumber(ARGV[1])
local deltas = {}
for j = 6, #ARGV, 3 do
  local t = ARGV[j]
  local d = deltas[t]
  if not d then d = { 0, 0 }; deltas[t] = d end
  d[1] = d[1] + tonumber(ARGV[j + 1])
  d[2] = d[2] + tonumber(ARGV[j + 2])
end
local err = apply(KEYS[1], deltas, day)
if err then return err end
local ms, mc = tonumber(ARGV[2]), tonumber(ARGV[3])
if ms ~= 0 or mc ~= 0 then
  redis.call('HINCRBY', KEYS[2], 'spam_messages', ms)
  redis.call('HINCRBY', KEYS[2], 'clean_messages', mc)
end
local is, ic = tonumber(ARGV[4]), tonumber(ARGV[5])
if is ~= 0 or ic ~= 0 then
  redis.call('HINCRBY', KEYS[2], 'imported_spam_messages', is)
  redis.call('HINCRBY', KEYS[2], 'imported_clean_messages', ic)
end
return 1
"#;

/// KEYS: tokens, trained. ARGV: today, max age (-1: none), max count (-1:
/// none), both (1/0), number of token fields N, N token fields, then digest
/// fields. Checks each field again and deletes the expired ones; returns the
/// number of tokens deleted.
const LUA_EXPIRE: &str = r#"
local now, age, count, both = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1'
local ntok = tonumber(ARGV[5])
local function old(day) return age >= 0 and now - day > age end
local dropped = 0
for j = 6, 5 + ntok do
  local v = redis.call('HGET', KEYS[1], ARGV[j])
  if v then
    local s, c, d = parse_counts(v)
    if s then
      local rare = count >= 0 and s + c <= count
      local drop
      if age >= 0 and count >= 0 and both then drop = old(d) and rare else drop = old(d) or rare end
      if drop then
        redis.call('HDEL', KEYS[1], ARGV[j])
        dropped = dropped + 1
      end
    end
  end
end
for j = 6 + ntok, #ARGV do
  local v = redis.call('HGET', KEYS[2], ARGV[j])
  if v and old(tonumber(string.sub(v, 2)) or 0) then
    redis.call('HDEL', KEYS[2], ARGV[j])
  end
end
return dropped
"#;

/// KEYS: tokens, meta. ARGV: token fields. Returns {{the [`TOTALS`]
/// fields}, {value of each token}}: a lookup in one command, for Redis
/// Cluster, where MULTI/EXEC pipelines are not available.
const LUA_LOOKUP: &str = r#"
return { redis.call('HMGET', KEYS[2], 'spam_messages', 'clean_messages', 'imported_spam_messages', 'imported_clean_messages'), each('HMGET', KEYS[1], ARGV) }
"#;

/// The meta fields that make up [`Totals`], in [`totals_from`]'s order.
const TOTALS: [&str; 4] = [
    "spam_messages",
    "clean_messages",
    "imported_spam_messages",
    "imported_clean_messages",
];

/// Totals from the values of the [`TOTALS`] fields (missing ones: 0).
fn totals_from(v: &[Option<String>]) -> Totals {
    let n = |i: usize| meta_u64(v.get(i).unwrap_or(&None));
    Totals {
        spam: n(0),
        clean: n(1),
        imported_spam: n(2),
        imported_clean: n(3),
    }
}

fn conv<T: FromRedisValue>(v: Value) -> std::result::Result<T, RedisError> {
    Ok(::redis::from_redis_value(v)?)
}

fn redis_err(display: &str, timeout: Duration, e: RedisError) -> Error {
    if e.is_timeout() {
        Error::Redis(format!(
            "{display}: no answer within {} ms",
            timeout.as_millis()
        ))
    } else {
        Error::Redis(format!("{display}: {e}"))
    }
}

fn parse_counts(v: &[u8]) -> Option<TokenCounts> {
    let s = std::str::from_utf8(v).ok()?;
    let mut it = s.split(' ').map(|p| p.parse::<u32>().ok());
    let c = TokenCounts {
        spam: it.next()??,
        clean: it.next()??,
        day: it.next()??,
    };
    it.next().is_none().then_some(c)
}

fn class_from_byte(b: u8) -> Option<Class> {
    match b {
        b's' => Some(Class::Spam),
        b'c' => Some(Class::Clean),
        _ => None,
    }
}

fn class_letter(c: Class) -> &'static str {
    match c {
        Class::Spam => "s",
        Class::Clean => "c",
    }
}

/// A trained-digest value: class letter and day.
fn parse_trained(v: &[u8]) -> Option<(Class, u32)> {
    let (&c, day) = v.split_first()?;
    let class = class_from_byte(c)?;
    let day = std::str::from_utf8(day).ok()?.parse().unwrap_or(0);
    Some((class, day))
}

fn action_code(a: Action) -> &'static str {
    match a {
        Action::Add(Class::Spam) => "as",
        Action::Add(Class::Clean) => "ac",
        Action::Sub(Class::Spam) => "ss",
        Action::Sub(Class::Clean) => "sc",
    }
}

fn meta_u64(v: &Option<String>) -> u64 {
    v.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0)
}

impl Redis {
    /// Connects to the server and opens the database under the prefix;
    /// with [`Mode::Create`] records the format if the database is new, with
    /// [`Mode::Existing`] fails with [`Error::Missing`] when there is none.
    /// One process opens a database once; later calls return the same handle.
    pub fn open(opts: &Options, mode: Mode) -> Result<&'static Redis> {
        let display = mask_url(&opts.url);
        if !valid_prefix(&opts.prefix) {
            return Err(Error::Redis(format!(
                "--redis-prefix {:?}: must be 1-200 characters without braces",
                opts.prefix
            )));
        }
        let key = (opts.url.clone(), opts.prefix.clone());
        let mut reg = registry().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(db) = reg.get(&key) {
            if mode == Mode::Create {
                db.create()?;
            }
            return Ok(db);
        }
        let certs = match &opts.ca_file {
            Some(path) => Some(::redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(
                    std::fs::read(path)
                        .map_err(|e| Error::Redis(format!("--redis-ca {}: {e}", path.display())))?,
                ),
            }),
            None => None,
        };
        let client = if let Some(name) = &opts.sentinel {
            match SentinelUrl::parse(&opts.url) {
                Some(url) => Ok(Backend::Sentinel {
                    name: name.clone(),
                    url,
                    certs,
                }),
                None => {
                    return Err(Error::Redis(format!(
                        "{display}: expected SCHEME://[USER:PASS@]SENTINEL:PORT,SENTINEL:PORT…/DB"
                    )));
                }
            }
        } else if opts.cluster {
            let nodes: Vec<&str> = opts.url.split(',').map(str::trim).collect();
            let mut b = ClusterClientBuilder::new(nodes)
                .connection_timeout(opts.timeout)
                .response_timeout(opts.timeout);
            if let Some(c) = certs {
                b = b.certs(c);
            }
            b.build().map(Backend::Cluster)
        } else {
            match certs {
                Some(c) => Client::build_with_tls(opts.url.as_str(), c),
                None => Client::open(opts.url.as_str()),
            }
            .map(Backend::Single)
        }
        .map_err(|e| redis_err(&display, opts.timeout, e))?;
        let tag = &opts.prefix;
        let db = Redis {
            client,
            con: Mutex::new(None),
            tokens: format!("{{{tag}}}:tokens"),
            trained: format!("{{{tag}}}:trained"),
            meta: format!("{{{tag}}}:meta"),
            timeout: opts.timeout.max(Duration::from_millis(1)),
            display,
            prefix: opts.prefix.clone(),
            tokenizer: Mutex::new(None),
            train_script: Lua::new(LUA_TRAIN),
            counts_script: Lua::new(LUA_COUNTS),
            expire_script: Lua::new(LUA_EXPIRE),
            lookup_script: Lua::new(LUA_LOOKUP),
        };
        let (format, tokenizer): (Option<String>, Option<String>) = db.with(|c| {
            ::redis::cmd("HMGET")
                .arg(&db.meta)
                .arg("format")
                .arg("tokenizer")
                .query(c)
        })?;
        let format = meta_u64(&format);
        if format > FORMAT_VERSION as u64 {
            return Err(Error::Version(format as u32));
        }
        if format == 0 {
            match mode {
                Mode::Existing => {
                    return Err(Error::Missing(format!(
                        "{} (prefix {})",
                        db.display, db.prefix
                    )));
                }
                Mode::Create => db.create()?,
            }
        }
        *db.tokenizer.lock().unwrap_or_else(|e| e.into_inner()) = tokenizer;
        let db: &'static Redis = Box::leak(Box::new(db));
        reg.insert(key, db);
        Ok(db)
    }

    /// Records the format and creation day unless already there.
    fn create(&self) -> Result<()> {
        let mut format = ::redis::cmd("HSETNX");
        format.arg(&self.meta).arg("format").arg(FORMAT_VERSION);
        let mut created = ::redis::cmd("HSETNX");
        created.arg(&self.meta).arg("created").arg(today());
        self.with(|c| self.exec(c, &[format.clone(), created.clone()]))?;
        Ok(())
    }

    fn conv<T: FromRedisValue>(&self, v: Value) -> Result<T> {
        conv(v).map_err(|e| redis_err(&self.display, self.timeout, e))
    }

    fn is_cluster(&self) -> bool {
        matches!(self.client, Backend::Cluster(_))
    }

    /// Runs commands in one round trip (a pipeline) on a single server. The
    /// cluster client does not pipeline, so there they run one after the
    /// other, on the one node that holds the database.
    fn exec(
        &self,
        con: &mut dyn ConnectionLike,
        cmds: &[Cmd],
    ) -> std::result::Result<Vec<Value>, RedisError> {
        if self.is_cluster() {
            cmds.iter().map(|c| c.query::<Value>(con)).collect()
        } else {
            let mut p = ::redis::pipe();
            for c in cmds {
                p.add_command(c.clone());
            }
            p.query(con)
        }
    }

    /// The server's address, password masked.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn connect(&self) -> std::result::Result<Connection, RedisError> {
        match &self.client {
            Backend::Single(client) => Ok(Box::new(self.connect_single(client)?)),
            Backend::Cluster(client) => Ok(Box::new(client.get_connection()?)),
            Backend::Sentinel { name, url, certs } => self.connect_via_sentinels(name, url, certs),
        }
    }

    fn client_for(
        url: &str,
        certs: &Option<::redis::TlsCertificates>,
    ) -> std::result::Result<Client, RedisError> {
        match certs {
            Some(c) => Client::build_with_tls(url, c.clone()),
            None => Client::open(url),
        }
    }

    fn connect_single(
        &self,
        client: &Client,
    ) -> std::result::Result<::redis::Connection, RedisError> {
        let con = client.get_connection_with_timeout(self.timeout)?;
        con.set_read_timeout(Some(self.timeout))?;
        con.set_write_timeout(Some(self.timeout))?;
        Ok(con)
    }

    /// Asks each sentinel in turn for the primary's address and connects to
    /// it, if it says it is the primary (a sentinel may not have noticed a
    /// failover yet). Every step is bounded by the timeout.
    fn connect_via_sentinels(
        &self,
        name: &str,
        url: &SentinelUrl,
        certs: &Option<::redis::TlsCertificates>,
    ) -> std::result::Result<Connection, RedisError> {
        let mut last: Option<RedisError> = None;
        for host in &url.sentinels {
            let addr = Self::client_for(&url.sentinel(host), certs)
                .and_then(|c| self.connect_single(&c))
                .and_then(|mut s| {
                    ::redis::cmd("SENTINEL")
                        .arg("get-master-addr-by-name")
                        .arg(name)
                        .query::<Option<(String, u16)>>(&mut s)
                });
            let (ip, port) = match addr {
                Ok(Some(a)) => a,
                Ok(None) => {
                    last.get_or_insert_with(|| {
                        RedisError::from((
                            ErrorKind::Client,
                            "no sentinel knows this primary",
                            format!("{host}: {name}"),
                        ))
                    });
                    continue;
                }
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            let con = Self::client_for(&url.primary(&ip, port), certs)
                .and_then(|c| self.connect_single(&c))
                .and_then(|mut con| {
                    let role: Vec<Value> = ::redis::cmd("ROLE").query(&mut con)?;
                    match role.first() {
                        Some(Value::BulkString(r)) if r == b"master" => Ok(con),
                        _ => Err(RedisError::from((
                            ErrorKind::Client,
                            "the sentinel named a server that is not the primary",
                            format!("{ip}:{port}"),
                        ))),
                    }
                });
            match con {
                Ok(c) => return Ok(Box::new(c)),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| RedisError::from((ErrorKind::Client, "no sentinel"))))
    }

    /// Runs `f` on the connection, connecting first if needed. After any
    /// error the connection is dropped (a timed-out reply may still arrive
    /// and would be read as the answer to the next command). When a
    /// connection kept from an earlier call turns out to be broken (the
    /// server restarted), `f` runs once more on a new one: every caller but
    /// [`Store::add_counts`] may be repeated without harm.
    fn with<T>(
        &self,
        mut f: impl FnMut(&mut dyn ConnectionLike) -> std::result::Result<T, RedisError>,
    ) -> Result<T> {
        self.with_conn(true, |c| f(&mut *c.con))
    }

    fn with_conn<T>(
        &self,
        repeatable: bool,
        mut f: impl FnMut(&mut Conn) -> std::result::Result<T, RedisError>,
    ) -> Result<T> {
        let mut slot = self.con.lock().unwrap_or_else(|e| e.into_inner());
        let mut fresh = false;
        loop {
            let conn = match slot.as_mut() {
                Some(c) => c,
                None => {
                    let con = self
                        .connect()
                        .map_err(|e| redis_err(&self.display, self.timeout, e))?;
                    fresh = true;
                    slot.insert(Conn {
                        con,
                        scripts_loaded: false,
                    })
                }
            };
            match f(conn) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    *slot = None;
                    // After a failover the old primary answers READONLY: ask
                    // the sentinels again.
                    let failed_over = matches!(self.client, Backend::Sentinel { .. })
                        && e.kind() == ErrorKind::Server(ServerErrorKind::ReadOnly);
                    if fresh
                        || !repeatable
                        || e.is_timeout()
                        || !(e.is_connection_dropped() || failed_over)
                    {
                        return Err(redis_err(&self.display, self.timeout, e));
                    }
                }
            }
        }
    }

    /// Runs script calls (one pipeline on a single server), loading the
    /// scripts if the server does not have them (a new or restarted server,
    /// `SCRIPT FLUSH`) and trying again: a script the server does not have
    /// has not run. Only for operations that may be repeated (training may:
    /// a message learned as a class is not learned again).
    fn run_scripts(&self, cmds: &[Cmd]) -> Result<Vec<Value>> {
        self.with_conn(true, |c| match self.exec(&mut *c.con, cmds) {
            Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                self.load_scripts(&mut *c.con)?;
                c.scripts_loaded = true;
                self.exec(&mut *c.con, cmds)
            }
            r => r,
        })
    }

    /// Loads the scripts, one command each (a cluster sends `SCRIPT LOAD`
    /// to every primary).
    fn load_scripts(&self, con: &mut dyn ConnectionLike) -> std::result::Result<(), RedisError> {
        for s in [
            &self.train_script,
            &self.counts_script,
            &self.expire_script,
            &self.lookup_script,
        ] {
            ::redis::cmd("SCRIPT")
                .arg("LOAD")
                .arg(&s.code)
                .query::<String>(con)?;
        }
        Ok(())
    }

    fn evalsha(&self, script: &Lua, keys: &[&str]) -> Cmd {
        let mut c = ::redis::cmd("EVALSHA");
        c.arg(&script.hash).arg(keys.len());
        for k in keys {
            c.arg(*k);
        }
        c
    }

    /// Every field and value of a hash, in `HSCAN` steps.
    fn scan_hash(
        &self,
        key: &str,
        f: &mut dyn FnMut(Vec<u8>, Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        let mut cursor = String::from("0");
        loop {
            let (next, items): (String, Vec<Vec<u8>>) = self.with(|c| {
                ::redis::cmd("HSCAN")
                    .arg(key)
                    .arg(&cursor)
                    .arg("COUNT")
                    .arg(SCAN_COUNT)
                    .query(c)
            })?;
            let mut it = items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                f(k, v)?;
            }
            if next == "0" {
                return Ok(());
            }
            cursor = next;
        }
    }

    fn totals_now(&self) -> Result<Totals> {
        let v: Vec<Option<String>> = self.with(|c| {
            ::redis::cmd("HMGET")
                .arg(&self.meta)
                .arg(&TOTALS[..])
                .query(c)
        })?;
        Ok(totals_from(&v))
    }
}

fn info_field(info: &str, name: &str) -> String {
    info.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| "-".into())
}

impl Store for Redis {
    fn totals(&self) -> Result<Totals> {
        self.totals_now()
    }

    fn lookup(&self, keys: &[&[u8]]) -> Result<(Totals, Vec<TokenCounts>)> {
        if keys.is_empty() {
            return Ok((self.totals_now()?, Vec::new()));
        }
        type Reply = (Vec<Option<String>>, Vec<Option<Vec<u8>>>);
        let (meta, vals): Reply = if self.is_cluster() {
            let mut cmd = self.evalsha(&self.lookup_script, &[&self.tokens, &self.meta]);
            for k in keys {
                cmd.arg(*k);
            }
            let mut v = self.run_scripts(&[cmd])?;
            self.conv(v.pop().unwrap_or(Value::Nil))?
        } else {
            self.with(|c| {
                let mut p = ::redis::pipe();
                p.atomic().cmd("HMGET").arg(&self.meta).arg(&TOTALS[..]);
                p.cmd("HMGET").arg(&self.tokens);
                for k in keys {
                    p.arg(*k);
                }
                p.query(c)
            })?
        };
        let totals = totals_from(&meta);
        if vals.len() != keys.len() {
            return Err(Error::Corrupt("short reply from Redis".into()));
        }
        let counts = vals
            .iter()
            .map(|v| match v {
                None => Ok(TokenCounts::default()),
                Some(v) => parse_counts(v).ok_or_else(|| Error::Corrupt("token value".into())),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((totals, counts))
    }

    fn snapshot(&self) -> Result<(Totals, Snapshot)> {
        let totals = self.totals_now()?;
        let mut map = Snapshot::default();
        self.scan_hash(&self.tokens, &mut |k, v| {
            let c = parse_counts(&v).ok_or_else(|| Error::Corrupt("token value".into()))?;
            map.insert(k.into_boxed_slice(), c);
            Ok(())
        })?;
        Ok((totals, map))
    }

    fn train(&self, ops: &[TrainOp<'_>]) -> Result<TrainReport> {
        if ops.is_empty() {
            return Ok(TrainReport::default());
        }
        let day = today();
        let mut cmds: Vec<Cmd> = Vec::new();
        let mut cmd: Option<Cmd> = None;
        let mut in_cmd = 0usize;
        for op in ops {
            if in_cmd > 0 && in_cmd + op.tokens.len() > CHUNK_TOKENS {
                cmds.extend(cmd.take());
                in_cmd = 0;
            }
            let c = cmd.get_or_insert_with(|| {
                let mut c = self.evalsha(
                    &self.train_script,
                    &[&self.tokens, &self.trained, &self.meta],
                );
                c.arg(day);
                c
            });
            c.arg(&op.digest[..])
                .arg(action_code(op.action))
                .arg(op.tokens.len());
            for &(t, n) in &op.tokens {
                c.arg(t).arg(n);
            }
            in_cmd += op.tokens.len().max(1);
        }
        cmds.extend(cmd.take());
        let replies = self.run_scripts(&cmds)?;
        let mut r = TrainReport::default();
        for v in replies {
            let v: Vec<i64> = self.conv(v)?;
            let n = |i: usize| v.get(i).copied().unwrap_or(0).max(0) as usize;
            r.learned += n(0);
            r.moved += n(1);
            r.unlearned += n(2);
            r.unchanged += n(3);
        }
        Ok(r)
    }

    fn add_counts(&self, counts: &[(Vec<u8>, u32, u32)], messages: Totals) -> Result<()> {
        let day = today();
        let mut cmds: Vec<Cmd> = Vec::new();
        let chunks: Vec<&[(Vec<u8>, u32, u32)]> = if counts.is_empty() {
            vec![&[]]
        } else {
            counts.chunks(CHUNK_TOKENS).collect()
        };
        for (i, ch) in chunks.iter().enumerate() {
            let mut c = self.evalsha(&self.counts_script, &[&self.tokens, &self.meta]);
            let m = if i == 0 { messages } else { Totals::default() };
            c.arg(day)
                .arg(m.spam)
                .arg(m.clean)
                .arg(m.imported_spam)
                .arg(m.imported_clean);
            for (k, s, cl) in *ch {
                c.arg(k.as_slice()).arg(*s).arg(*cl);
            }
            cmds.push(c);
        }
        self.with_conn(false, |c| {
            if !c.scripts_loaded {
                self.load_scripts(&mut *c.con)?;
                c.scripts_loaded = true;
            }
            self.exec(&mut *c.con, &cmds)
        })?;
        Ok(())
    }

    fn for_each(&self, f: &mut dyn FnMut(&[u8], TokenCounts)) -> Result<()> {
        let mut all: BTreeMap<Vec<u8>, TokenCounts> = BTreeMap::new();
        self.scan_hash(&self.tokens, &mut |k, v| {
            let c = parse_counts(&v).ok_or_else(|| Error::Corrupt("token value".into()))?;
            all.insert(k, c);
            Ok(())
        })?;
        for (k, c) in &all {
            f(k, *c);
        }
        Ok(())
    }

    fn for_each_trained(&self, f: &mut dyn FnMut(&Digest, Class, u32)) -> Result<()> {
        let mut all: BTreeMap<Digest, (Class, u32)> = BTreeMap::new();
        self.scan_hash(&self.trained, &mut |k, v| {
            let (Ok(d), Some((class, day))) = (Digest::try_from(k.as_slice()), parse_trained(&v))
            else {
                return Err(Error::Corrupt("trained record".into()));
            };
            all.insert(d, (class, day));
            Ok(())
        })?;
        for (d, (c, day)) in &all {
            f(d, *c, *day);
        }
        Ok(())
    }

    fn add_trained(&self, entries: &[(Digest, Class, u32)]) -> Result<()> {
        for ch in entries.chunks(CHUNK_TOKENS) {
            self.with(|c| {
                let mut cmd = ::redis::cmd("HSET");
                cmd.arg(&self.trained);
                for (d, class, day) in ch {
                    cmd.arg(&d[..])
                        .arg(format!("{}{day}", class_letter(*class)));
                }
                cmd.query::<()>(c)
            })?;
        }
        Ok(())
    }

    fn expire(&self, policy: &ExpirePolicy) -> Result<u64> {
        let now = today();
        let age = policy.max_age_days.map_or(-1, i64::from);
        let count = policy.max_count.map_or(-1, i64::from);
        let both = if policy.require_both { "1" } else { "0" };
        let run = |tokens: &[Vec<u8>], digests: &[Vec<u8>]| -> Result<u64> {
            let mut c = self.evalsha(&self.expire_script, &[&self.tokens, &self.trained]);
            c.arg(now).arg(age).arg(count).arg(both).arg(tokens.len());
            for t in tokens {
                c.arg(t.as_slice());
            }
            for d in digests {
                c.arg(d.as_slice());
            }
            let mut v = self.run_scripts(&[c])?;
            self.conv::<u64>(v.pop().unwrap_or(Value::Nil))
        };
        // Candidates are collected in HSCAN steps and deleted in batches; the
        // script checks each one again, so a token trained meanwhile stays.
        let mut dropped = 0u64;
        let mut doomed: Vec<Vec<u8>> = Vec::new();
        let mut flush_err: Option<Error> = None;
        self.scan_hash(&self.tokens, &mut |k, v| {
            let c = parse_counts(&v).ok_or_else(|| Error::Corrupt("token value".into()))?;
            if policy.drops(&c, now) {
                doomed.push(k);
            }
            if doomed.len() >= SCAN_COUNT {
                match run(&doomed, &[]) {
                    Ok(n) => dropped += n,
                    Err(e) => {
                        flush_err.get_or_insert(e);
                    }
                }
                doomed.clear();
            }
            Ok(())
        })?;
        if let Some(e) = flush_err {
            return Err(e);
        }
        if !doomed.is_empty() {
            dropped += run(&doomed, &[])?;
            doomed.clear();
        }
        if policy.max_age_days.is_some() {
            let mut digests: Vec<Vec<u8>> = Vec::new();
            self.scan_hash(&self.trained, &mut |k, v| {
                if parse_trained(&v).is_some_and(|(_, day)| policy.is_old(day, now)) {
                    digests.push(k);
                }
                Ok(())
            })?;
            for ch in digests.chunks(SCAN_COUNT) {
                run(&[], ch)?;
            }
        }
        self.with(|c| {
            ::redis::cmd("HSET")
                .arg(&self.meta)
                .arg("last_expire")
                .arg(now)
                .query::<()>(c)
        })?;
        Ok(dropped)
    }

    fn status(&self) -> Result<Vec<(String, String)>> {
        // The TOTALS fields (0..4), then these (4..9).
        let others = [
            "format",
            "tokenizer",
            "created",
            "last_trained",
            "last_expire",
        ];
        let mut hmget = ::redis::cmd("HMGET");
        hmget.arg(&self.meta).arg(&TOTALS[..]).arg(&others[..]);
        let mut cmds = vec![
            hmget,
            ::redis::cmd("HLEN").arg(&self.tokens).clone(),
            ::redis::cmd("HLEN").arg(&self.trained).clone(),
        ];
        // INFO has no key: a cluster would answer from any node.
        if !self.is_cluster() {
            cmds.push(::redis::cmd("INFO"));
        }
        let (meta, tokens, trained, info): (Vec<Option<String>>, u64, u64, Option<String>) =
            self.with(|c| {
                let mut v = self.exec(c, &cmds)?.into_iter();
                let mut next = || v.next().unwrap_or(Value::Nil);
                Ok((conv(next())?, conv(next())?, conv(next())?, conv(next())?))
            })?;
        let info = info.unwrap_or_default();
        let m = |i: usize| meta.get(i).cloned().flatten();
        let day = |i: usize| match meta_u64(&m(i)) {
            0 => "-".to_string(),
            d => day_to_date(d as u32),
        };
        let mut v = totals_from(&meta).status();
        v.extend([
            ("tokens".into(), tokens.to_string()),
            ("trained_digests".into(), trained.to_string()),
            ("format_version".into(), meta_u64(&m(4)).to_string()),
            ("tokenizer".into(), m(5).unwrap_or_else(|| "-".into())),
            ("created".into(), day(6)),
            ("last_trained".into(), day(7)),
            ("last_expire".into(), day(8)),
            ("db_url".into(), self.display.clone()),
            ("redis_prefix".into(), self.prefix.clone()),
            ("redis_version".into(), info_field(&info, "redis_version")),
            ("redis_role".into(), info_field(&info, "role")),
            ("redis_used_memory".into(), info_field(&info, "used_memory")),
            (
                "redis_cluster".into(),
                if self.is_cluster() { "yes" } else { "no" }.into(),
            ),
            (
                "redis_sentinel".into(),
                match &self.client {
                    Backend::Sentinel { name, .. } => name.clone(),
                    _ => "-".into(),
                },
            ),
            ("read_only".into(), "no".into()),
        ]);
        Ok(v)
    }

    fn tokenizer_id(&self, current: &str) -> Result<String> {
        let mut cached = self.tokenizer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = cached.as_ref() {
            return Ok(t.clone());
        }
        // The first writer wins; everyone reads what it wrote.
        let mut set = ::redis::cmd("HSETNX");
        set.arg(&self.meta).arg("tokenizer").arg(current);
        let mut get = ::redis::cmd("HGET");
        get.arg(&self.meta).arg("tokenizer");
        let recorded: Option<String> = self.with(|c| {
            let mut v = self.exec(c, &[set.clone(), get.clone()])?;
            conv(v.pop().unwrap_or(Value::Nil))
        })?;
        let t = recorded.unwrap_or_else(|| current.to_string());
        *cached = Some(t.clone());
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(is_url("redis://127.0.0.1:6379/0"));
        assert!(is_url("REDISS://h/1"));
        assert!(is_url("redis+unix:///run/redis.sock"));
        assert!(!is_url("/var/lib/fumi"));
        assert!(!is_url("redis"));
        assert_eq!(
            mask_url("redis://fumi:secret@db.example:6379/2"),
            "redis://fumi:***@db.example:6379/2"
        );
        assert_eq!(
            mask_url("rediss://:secret@db.example/2"),
            "rediss://:***@db.example/2"
        );
        assert_eq!(mask_url("redis://db.example/2"), "redis://db.example/2");
        assert_eq!(mask_url("redis://pw@h/0"), "redis://***@h/0");
    }

    #[test]
    fn sentinel_urls() {
        let u = SentinelUrl::parse("redis://fumi:pw@s1:26379,s2:26379/2?protocol=resp3")
            .expect("parse");
        assert_eq!(u.sentinels, ["s1:26379", "s2:26379"]);
        assert_eq!(u.sentinel("s2:26379"), "redis://s2:26379");
        assert_eq!(
            u.primary("10.0.0.5", 6380),
            "redis://fumi:pw@10.0.0.5:6380/2?protocol=resp3"
        );
        assert_eq!(
            u.primary("::1", 6380),
            "redis://fumi:pw@[::1]:6380/2?protocol=resp3"
        );
        let u = SentinelUrl::parse("rediss://s1:26379").expect("parse");
        assert_eq!(u.primary("h", 1), "rediss://h:1");
        assert_eq!(SentinelUrl::parse("redis://"), None);
    }

    #[test]
    fn values() {
        assert_eq!(
            parse_counts(b"3 0 9827"),
            Some(TokenCounts {
                spam: 3,
                clean: 0,
                day: 9827
            })
        );
        assert_eq!(parse_counts(b"3 0"), None);
        assert_eq!(parse_counts(b"3 0 1 2"), None);
        assert_eq!(parse_counts(b"-1 0 1"), None);
        assert_eq!(parse_trained(b"s9827"), Some((Class::Spam, 9827)));
        assert_eq!(parse_trained(b"x1"), None);
        assert!(valid_prefix("fumi:example.org"));
        assert!(!valid_prefix("a{b}"));
        assert!(!valid_prefix(""));
    }
}
