//! One MTA connection: the milter protocol state machine, message
//! collection and the end-of-message decision. Independent of sockets and
//! of the database (the [`Scorer`] is given), so it is tested with packets.

use std::collections::HashMap;
use std::net::IpAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use super::protocol::{self as p, Error, Negotiation};
use super::{Record, Settings};
use crate::score::Verdict;

/// Scores one message (its first `max_bytes` bytes).
pub trait Scorer: Send + Sync {
    fn score(&self, raw: &[u8]) -> Result<(f64, Verdict), String>;
}

/// The reply text of a rejection.
pub const REJECT_REPLY: &str = "550 5.7.1 Message rejected as spam";

/// What the connection does after a packet.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// One MTA connection.
pub struct Session<'a> {
    settings: &'a (dyn Fn() -> Arc<Settings> + Sync),
    log: &'a (dyn Fn(&Record<'_>) + Sync),
    neg: Negotiation,
    client: Option<IpAddr>,
    macros: HashMap<String, String>,
    msg: Option<Msg>,
}

/// The message being received.
struct Msg {
    settings: Arc<Settings>,
    /// The message as the MTA passed it, CRLF line ends, at most
    /// `max_bytes`.
    raw: Vec<u8>,
    /// Bytes received (headers and body).
    size: u64,
    /// Fields fumi writes, as seen: (name as spelled, occurrences).
    ours: [Option<(Vec<u8>, u32)>; 3],
    /// The first Subject's value.
    subject: Option<Vec<u8>>,
    /// The rest of the body is skipped.
    full: bool,
    /// Why the message passes unscanned (a skipped client).
    skip: Option<&'static str>,
}

impl Msg {
    fn new(settings: Arc<Settings>) -> Msg {
        Msg {
            settings,
            raw: Vec::new(),
            size: 0,
            ours: [None, None, None],
            subject: None,
            full: false,
            skip: None,
        }
    }

    fn room(&self) -> usize {
        self.settings.max_bytes.saturating_sub(self.raw.len())
    }

    fn header(&mut self, name: &[u8], value: &[u8], lead_space: bool) {
        self.size += (name.len() + value.len() + 4) as u64;
        for (i, ours) in self.settings.field_names().iter().enumerate() {
            if name.eq_ignore_ascii_case(ours.as_bytes()) {
                let slot = &mut self.ours[i];
                match slot {
                    Some((_, n)) => *n += 1,
                    None => *slot = Some((name.to_vec(), 1)),
                }
            }
        }
        if self.subject.is_none() && name.eq_ignore_ascii_case(b"subject") {
            self.subject = Some(value.to_vec());
        }
        let mut line = Vec::with_capacity(name.len() + value.len() + 4);
        line.extend_from_slice(name);
        line.push(b':');
        if !lead_space {
            line.push(b' ');
        }
        // Continuation lines arrive separated by a bare LF.
        let mut prev = 0u8;
        for &b in value {
            if b == b'\n' && prev != b'\r' {
                line.push(b'\r');
            }
            line.push(b);
            prev = b;
        }
        line.extend_from_slice(b"\r\n");
        self.append(&line);
    }

    fn append(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.room());
        self.raw.extend_from_slice(&bytes[..n]);
        if n < bytes.len() {
            self.full = true;
        }
    }

    fn body(&mut self, chunk: &[u8]) {
        self.size += chunk.len() as u64;
        self.append(chunk);
        if self.room() == 0 {
            self.full = true;
        }
    }
}

impl<'a> Session<'a> {
    /// A new connection. `settings` gives the current settings (taken
    /// afresh for each message, so a reload applies from the next message),
    /// `log` receives one record per message.
    pub fn new(
        settings: &'a (dyn Fn() -> Arc<Settings> + Sync),
        log: &'a (dyn Fn(&Record<'_>) + Sync),
    ) -> Session<'a> {
        Session {
            settings,
            log,
            neg: Negotiation {
                version: 2,
                actions: p::F_ADDHDRS | p::F_CHGHDRS,
                steps: 0,
            },
            client: None,
            macros: HashMap::new(),
            msg: None,
        }
    }

    /// Is a message half received (a shutdown waits for it)?
    pub fn busy(&self) -> bool {
        self.msg.is_some()
    }

    fn step(&self, flag: u32) -> bool {
        self.neg.steps & flag != 0
    }

    fn reply(&self, out: &mut Vec<u8>, unless: u32, cmd: u8) {
        if !self.step(unless) {
            p::put_reply(out, cmd, &[]);
        }
    }

    fn queue_id(&self) -> &str {
        self.macros
            .get("i")
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or("NOQUEUE")
    }

    /// Handles one packet (command byte first), appending any reply to
    /// `out`.
    pub fn handle(&mut self, packet: &[u8], out: &mut Vec<u8>) -> Result<Flow, Error> {
        let Some((&cmd, data)) = packet.split_first() else {
            return Err(Error::Malformed("empty packet".into()));
        };
        match cmd {
            p::C_OPTNEG => {
                self.neg = Negotiation::parse(data)?.answer();
                self.neg.put(out);
            }
            p::C_MACRO => {
                let (stage, pairs) = p::parse_macros(data)?;
                if stage == p::C_MAIL {
                    // A new transaction: nothing of the last one's carries
                    // over (its queue id, its sender's authentication).
                    self.macros
                        .retain(|k, _| k != "i" && !k.starts_with("auth_"));
                }
                for (k, v) in pairs {
                    self.macros.insert(k, v);
                }
            }
            p::C_CONNECT => {
                self.client = p::parse_connect(data).or_else(|| {
                    self.macros
                        .get("client_addr")
                        .and_then(|a| a.strip_prefix("IPv6:").unwrap_or(a).parse().ok())
                });
                self.reply(out, p::P_NR_CONN, p::R_CONTINUE);
            }
            p::C_HELO => self.reply(out, p::P_NR_HELO, p::R_CONTINUE),
            p::C_MAIL => {
                let mut msg = Msg::new((self.settings)());
                msg.skip = self.skip_reason(&msg.settings);
                // Postfix knows the queue id only from DATA on: a message
                // to let pass is accepted there, unless the MTA is too old
                // to send DATA.
                if msg.skip.is_some() && self.neg.version < 4 {
                    self.pass(msg, out);
                    return Ok(Flow::Continue);
                }
                self.msg = Some(msg);
                self.reply(out, p::P_NR_MAIL, p::R_CONTINUE);
            }
            p::C_RCPT => self.reply(out, p::P_NR_RCPT, p::R_CONTINUE),
            p::C_DATA => match self.msg.take() {
                Some(m) if m.skip.is_some() => self.pass(m, out),
                other => {
                    self.msg = other;
                    self.reply(out, p::P_NR_DATA, p::R_CONTINUE);
                }
            },
            p::C_UNKNOWN => self.reply(out, p::P_NR_UNKN, p::R_CONTINUE),
            p::C_HEADER => {
                let (name, value) = p::parse_header(data)?;
                let lead = self.step(p::P_HDR_LEADSPC);
                self.message().header(name, value, lead);
                self.reply(out, p::P_NR_HDR, p::R_CONTINUE);
            }
            p::C_EOH => {
                self.message().append(b"\r\n");
                self.reply(out, p::P_NR_EOH, p::R_CONTINUE);
            }
            p::C_BODY => {
                let m = self.message();
                m.body(data);
                let full = m.full;
                if !self.step(p::P_NR_BODY) {
                    let skip = full && self.step(p::P_SKIP);
                    p::put_reply(out, if skip { p::R_SKIP } else { p::R_CONTINUE }, &[]);
                }
            }
            p::C_BODYEOB => {
                if !data.is_empty() {
                    self.message().body(data);
                }
                match self.msg.take() {
                    Some(m) => self.end_of_message(m, out),
                    None => p::put_reply(out, p::R_CONTINUE, &[]),
                }
            }
            p::C_ABORT => self.msg = None,
            p::C_QUIT => return Ok(Flow::Quit),
            p::C_QUIT_NC => {
                self.msg = None;
                self.client = None;
                self.macros.clear();
            }
            other => {
                return Err(Error::Malformed(format!("unknown command 0x{other:02x}")));
            }
        }
        Ok(Flow::Continue)
    }

    /// The message in progress (started here if the MTA did not send MAIL).
    fn message(&mut self) -> &mut Msg {
        let settings = self.settings;
        self.msg.get_or_insert_with(|| Msg::new(settings()))
    }

    /// Lets a message from a skipped client through, unscanned: accept
    /// ends this message for the filter (the MTA sends nothing more until
    /// the next MAIL).
    fn pass(&mut self, msg: Msg, out: &mut Vec<u8>) {
        (self.log)(&Record {
            queue_id: self.queue_id(),
            verdict: "skipped",
            probability: None,
            action: "accept",
            client: self.client,
            size: 0,
            millis: 0.0,
            note: msg.skip,
        });
        self.msg = None;
        p::put_reply(out, p::R_ACCEPT, &[]);
    }

    fn skip_reason(&self, s: &Settings) -> Option<&'static str> {
        let authenticated = self
            .macros
            .get("auth_authen")
            .is_some_and(|v| !v.is_empty());
        if authenticated && !s.scan_authenticated {
            return Some("authenticated");
        }
        if let Some(ip) = self.client
            && s.skip_networks.iter().any(|n| n.contains(ip))
        {
            return Some("client network");
        }
        None
    }

    fn end_of_message(&mut self, msg: Msg, out: &mut Vec<u8>) {
        let s = &msg.settings;
        let started = Instant::now();
        let scored = catch_unwind(AssertUnwindSafe(|| s.scorer.score(&msg.raw)));
        let scored = match scored {
            Ok(r) => r,
            Err(_) => Err("internal error while scoring".to_string()),
        };
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        let (probability, verdict) = match scored {
            Ok(v) => v,
            Err(e) => {
                // Never tempfail a server because the filter is sick.
                p::put_reply(out, p::R_CONTINUE, &[]);
                (self.log)(&Record {
                    queue_id: self.queue_id(),
                    verdict: "error",
                    probability: None,
                    action: "accept",
                    client: self.client,
                    size: msg.size,
                    millis,
                    note: Some(&e),
                });
                return;
            }
        };
        let action;
        if s.reject_above.is_some_and(|t| probability > t) {
            p::put_reply(out, p::R_REPLYCODE, &[&p::cstr(REJECT_REPLY)]);
            action = "reject";
        } else {
            self.edit_headers(&msg, probability, verdict, out);
            if s.quarantine_above.is_some_and(|t| probability > t)
                && self.neg.actions & p::F_QUARANTINE != 0
            {
                let reason = format!("fumi: spam probability {probability:.6}");
                p::put_reply(out, p::R_QUARANTINE, &[&p::cstr(&reason)]);
                action = "quarantine";
            } else {
                action = "accept";
            }
            p::put_reply(out, p::R_CONTINUE, &[]);
        }
        (self.log)(&Record {
            queue_id: self.queue_id(),
            verdict: verdict.name(),
            probability: Some(probability),
            action,
            client: self.client,
            size: msg.size,
            millis,
            note: msg
                .full
                .then_some("scanned the first --max-message-size bytes"),
        });
    }

    /// Removes the sender's copies of fumi's fields and adds fumi's own.
    fn edit_headers(&self, msg: &Msg, probability: f64, verdict: Verdict, out: &mut Vec<u8>) {
        let s = &msg.settings;
        let can_change = self.neg.actions & p::F_CHGHDRS != 0;
        let can_add = self.neg.actions & p::F_ADDHDRS != 0;
        if can_change {
            for (name, count) in msg.ours.iter().flatten() {
                // From the last to the first, so that indexes stay valid.
                for index in (1..=*count).rev() {
                    p::put_reply(
                        out,
                        p::R_CHGHEADER,
                        &[&index.to_be_bytes(), &cbytes(name), &[0]],
                    );
                }
            }
        }
        let spam = verdict == Verdict::Spam;
        if can_add {
            let [flag, prob, rev] = s.field_names();
            if s.insert_revision {
                let v = format!("fumi {}", env!("CARGO_PKG_VERSION"));
                p::put_reply(out, p::R_ADDHEADER, &[&p::cstr(&rev), &p::cstr(&v)]);
            }
            let v = if spam { "Yes" } else { "No" };
            p::put_reply(out, p::R_ADDHEADER, &[&p::cstr(&flag), &p::cstr(v)]);
            let v = format!("{probability:.6}");
            p::put_reply(out, p::R_ADDHEADER, &[&p::cstr(&prob), &p::cstr(&v)]);
        }
        if let (true, Some(prefix)) = (spam, &s.subject_prefix) {
            match &msg.subject {
                Some(old) if can_change => {
                    let old = old.trim_ascii_start();
                    if !old.starts_with(prefix.trim_end().as_bytes()) {
                        let mut v = prefix.as_bytes().to_vec();
                        v.extend_from_slice(old);
                        p::put_reply(
                            out,
                            p::R_CHGHEADER,
                            &[&1u32.to_be_bytes(), b"Subject\0", &cbytes(&v)],
                        );
                    }
                }
                None if can_add => {
                    p::put_reply(
                        out,
                        p::R_ADDHEADER,
                        &[b"Subject\0", &p::cstr(prefix.trim_end())],
                    );
                }
                _ => {}
            }
        }
    }
}

/// Bytes with a NUL terminator (NULs inside dropped).
fn cbytes(b: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = b.iter().copied().filter(|&c| c != 0).collect();
    v.push(0);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::milter::Network;
    use std::sync::Mutex;

    struct Fixed(f64);

    impl Scorer for Fixed {
        fn score(&self, raw: &[u8]) -> Result<(f64, Verdict), String> {
            if raw.windows(5).any(|w| w == b"PANIC") {
                panic!("scorer panicked");
            }
            if raw.windows(4).any(|w| w == b"FAIL") {
                return Err("database unreadable".into());
            }
            let v = if self.0 > 0.9 {
                Verdict::Spam
            } else {
                Verdict::Clean
            };
            Ok((self.0, v))
        }
    }

    fn settings(p: f64) -> Settings {
        Settings {
            scorer: Box::new(Fixed(p)),
            prefix: "Spam".into(),
            insert_revision: false,
            subject_prefix: None,
            reject_above: None,
            quarantine_above: None,
            skip_networks: Vec::new(),
            scan_authenticated: false,
            max_bytes: 1 << 20,
        }
    }

    fn pkt(cmd: u8, data: &[u8]) -> Vec<u8> {
        let mut v = vec![cmd];
        v.extend_from_slice(data);
        v
    }

    /// Replies as (command, data) pairs.
    fn replies(mut out: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut v = Vec::new();
        while out.len() >= 5 {
            let n = u32::from_be_bytes([out[0], out[1], out[2], out[3]]) as usize;
            v.push((out[4], out[5..4 + n].to_vec()));
            out = &out[4 + n..];
        }
        v
    }

    fn optneg(steps: u32) -> Vec<u8> {
        let mut d = Vec::new();
        for w in [6u32, 0x1ff, steps] {
            d.extend_from_slice(&w.to_be_bytes());
        }
        pkt(p::C_OPTNEG, &d)
    }

    fn connect(ip: &str) -> Vec<u8> {
        let mut d = b"client.example\x004".to_vec();
        d.extend_from_slice(&25u16.to_be_bytes());
        d.extend_from_slice(ip.as_bytes());
        d.push(0);
        pkt(p::C_CONNECT, &d)
    }

    /// Runs a whole SMTP transaction (Postfix's full offer of steps) and
    /// returns the replies to the end of message, and the log.
    fn transaction(
        s: Settings,
        ip: &str,
        auth: Option<&str>,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (Vec<(u8, Vec<u8>)>, Vec<String>) {
        let s = Arc::new(s);
        let get = move || s.clone();
        let lines = Mutex::new(Vec::new());
        let log = |r: &Record<'_>| lines.lock().expect("lock").push(r.line());
        let mut session = Session::new(&get, &log);
        let mut out = Vec::new();
        session
            .handle(&optneg(0x1f_ffff), &mut out)
            .expect("optneg");
        assert_eq!(replies(&out)[0].0, p::C_OPTNEG);
        out.clear();
        session.handle(&connect(ip), &mut out).expect("connect");
        assert!(out.is_empty(), "NR_CONN negotiated: no reply");
        let mut m = b"M".to_vec();
        if let Some(a) = auth {
            m.extend_from_slice(b"{auth_authen}\0");
            m.extend_from_slice(a.as_bytes());
            m.push(0);
        }
        session
            .handle(&pkt(p::C_MACRO, &m), &mut out)
            .expect("macro");
        session
            .handle(&pkt(p::C_MAIL, b"<a@example.org>\0"), &mut out)
            .expect("mail");
        assert!(out.is_empty(), "NR_MAIL negotiated: no reply");
        session
            .handle(&pkt(p::C_MACRO, b"Ti\0QID42\0"), &mut out)
            .expect("macro");
        session
            .handle(&pkt(p::C_DATA, b""), &mut out)
            .expect("data");
        let data_reply = replies(&out);
        out.clear();
        if data_reply.first().map(|r| r.0) == Some(p::R_ACCEPT) {
            drop(session);
            return (data_reply, lines.into_inner().expect("lock"));
        }
        assert_eq!(data_reply, [(p::R_CONTINUE, vec![])]);
        for (n, v) in headers {
            let mut d = n.as_bytes().to_vec();
            d.push(0);
            d.extend_from_slice(v.as_bytes());
            d.push(0);
            session
                .handle(&pkt(p::C_HEADER, &d), &mut out)
                .expect("header");
        }
        session.handle(&pkt(p::C_EOH, b""), &mut out).expect("eoh");
        assert!(out.is_empty(), "no replies to headers and EOH");
        for chunk in body.chunks(65535) {
            session
                .handle(&pkt(p::C_BODY, chunk), &mut out)
                .expect("body");
            out.clear();
        }
        assert!(session.busy());
        session
            .handle(&pkt(p::C_BODYEOB, b""), &mut out)
            .expect("eob");
        assert!(!session.busy());
        let r = replies(&out);
        drop(session);
        (r, lines.into_inner().expect("lock"))
    }

    fn chg(index: u32, name: &str, value: &str) -> (u8, Vec<u8>) {
        let mut d = index.to_be_bytes().to_vec();
        d.extend_from_slice(&p::cstr(name));
        d.extend_from_slice(&p::cstr(value));
        (p::R_CHGHEADER, d)
    }

    fn add(name: &str, value: &str) -> (u8, Vec<u8>) {
        let mut d = p::cstr(name);
        d.extend_from_slice(&p::cstr(value));
        (p::R_ADDHEADER, d)
    }

    #[test]
    fn clean_message_gets_headers_and_forged_ones_go() {
        let (r, log) = transaction(
            settings(0.01),
            "192.0.2.1",
            None,
            &[
                ("From", "a@example.org"),
                ("X-Spam-Flag", "NO"),
                ("x-spam-flag", "NO"),
                ("X-Spam-Probability", "0.000000"),
            ],
            b"hello\r\n",
        );
        assert_eq!(
            r,
            [
                chg(2, "X-Spam-Flag", ""),
                chg(1, "X-Spam-Flag", ""),
                chg(1, "X-Spam-Probability", ""),
                add("X-Spam-Flag", "No"),
                add("X-Spam-Probability", "0.010000"),
                (p::R_CONTINUE, vec![]),
            ]
        );
        assert_eq!(log.len(), 1);
        assert!(
            log[0].starts_with("QID42: verdict=clean, probability=0.010000, action=accept, client=[192.0.2.1], size="),
            "{}",
            log[0]
        );
    }

    #[test]
    fn reject_and_quarantine_thresholds() {
        let mut s = settings(0.999);
        s.reject_above = Some(0.99);
        let (r, log) = transaction(s, "192.0.2.1", None, &[("Subject", "x")], b"b\r\n");
        assert_eq!(r, [(p::R_REPLYCODE, p::cstr(REJECT_REPLY))]);
        assert!(log[0].contains("verdict=spam, probability=0.999000, action=reject"));

        let mut s = settings(0.95);
        s.reject_above = Some(0.99);
        s.quarantine_above = Some(0.9);
        s.subject_prefix = Some("[SPAM] ".into());
        let (r, log) = transaction(s, "192.0.2.1", None, &[("Subject", "buy")], b"b\r\n");
        assert_eq!(
            r,
            [
                add("X-Spam-Flag", "Yes"),
                add("X-Spam-Probability", "0.950000"),
                chg(1, "Subject", "[SPAM] buy"),
                (p::R_QUARANTINE, p::cstr("fumi: spam probability 0.950000")),
                (p::R_CONTINUE, vec![]),
            ]
        );
        assert!(log[0].contains("action=quarantine"));
    }

    #[test]
    fn authenticated_and_trusted_clients_pass_unscanned() {
        let (r, log) = transaction(settings(0.999), "192.0.2.1", Some("alice"), &[], b"");
        assert_eq!(r, [(p::R_ACCEPT, vec![])]);
        assert_eq!(
            log,
            [
                "QID42: verdict=skipped, action=accept, client=[192.0.2.1], size=0, time=0.0ms, reason=authenticated"
            ]
        );
        let mut s = settings(0.999);
        s.scan_authenticated = true;
        let (r, _) = transaction(s, "192.0.2.1", Some("alice"), &[], b"");
        assert_eq!(r.last(), Some(&(p::R_CONTINUE, vec![])));
        assert_eq!(r.len(), 3);

        let mut s = settings(0.999);
        s.skip_networks = vec![Network::parse("10.0.0.0/8").expect("net")];
        let (r, log) = transaction(s, "10.1.2.3", None, &[], b"");
        assert_eq!(r, [(p::R_ACCEPT, vec![])]);
        assert!(log[0].ends_with("reason=client network"));
        let mut s = settings(0.999);
        s.skip_networks = vec![Network::parse("10.0.0.0/8").expect("net")];
        let (r, _) = transaction(s, "11.1.2.3", None, &[], b"");
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn macros_do_not_leak_between_transactions() {
        let s = Arc::new(settings(0.01));
        let get = move || s.clone();
        let lines = Mutex::new(Vec::new());
        let log = |r: &Record<'_>| lines.lock().expect("lock").push(r.line());
        let mut session = Session::new(&get, &log);
        let mut out = Vec::new();
        session
            .handle(&optneg(0x1f_ffff), &mut out)
            .expect("optneg");
        session
            .handle(&connect("192.0.2.1"), &mut out)
            .expect("connect");
        out.clear();
        for (auth, qid) in [(Some("alice"), "Q1"), (None, "Q2")] {
            let mut m = b"M".to_vec();
            if let Some(a) = auth {
                m.extend_from_slice(b"{auth_authen}\0");
                m.extend_from_slice(a.as_bytes());
                m.push(0);
            }
            session
                .handle(&pkt(p::C_MACRO, &m), &mut out)
                .expect("macro");
            session
                .handle(&pkt(p::C_MAIL, b"<a@b>\0"), &mut out)
                .expect("mail");
            if auth.is_none() {
                // No queue id until DATA: the log must not show the last one.
                session.handle(&pkt(p::C_EOH, b""), &mut out).expect("eoh");
                session
                    .handle(&pkt(p::C_BODYEOB, b""), &mut out)
                    .expect("eob");
                out.clear();
                continue;
            }
            let d = format!("Ti\0{qid}\0");
            session
                .handle(&pkt(p::C_MACRO, d.as_bytes()), &mut out)
                .expect("macro");
            session
                .handle(&pkt(p::C_DATA, b""), &mut out)
                .expect("data");
            assert_eq!(replies(&out), [(p::R_ACCEPT, vec![])]);
            out.clear();
        }
        drop(session);
        let lines = lines.into_inner().expect("lock");
        assert!(lines[0].starts_with("Q1: verdict=skipped"), "{}", lines[0]);
        assert!(
            lines[1].starts_with("NOQUEUE: verdict=clean"),
            "{}",
            lines[1]
        );
    }

    #[test]
    fn errors_and_panics_accept_unmodified() {
        for body in [&b"FAIL\r\n"[..], b"PANIC\r\n"] {
            let mut s = settings(0.999);
            s.reject_above = Some(0.5);
            let (r, log) = transaction(s, "192.0.2.1", None, &[("X-Spam-Flag", "No")], body);
            assert_eq!(r, [(p::R_CONTINUE, vec![])]);
            assert!(log[0].contains("verdict=error"), "{}", log[0]);
            assert!(log[0].contains("action=accept"));
        }
    }

    #[test]
    fn large_messages_are_scanned_in_part_and_skipped() {
        let seen = Arc::new(Mutex::new(0usize));
        struct Len(Arc<Mutex<usize>>);
        impl Scorer for Len {
            fn score(&self, raw: &[u8]) -> Result<(f64, Verdict), String> {
                *self.0.lock().expect("lock") = raw.len();
                Ok((0.5, Verdict::Unsure))
            }
        }
        let mut s = settings(0.5);
        s.scorer = Box::new(Len(seen.clone()));
        s.max_bytes = 100_000;
        let s = Arc::new(s);
        let get = move || s.clone();
        let log = |_: &Record<'_>| {};
        let mut session = Session::new(&get, &log);
        let mut out = Vec::new();
        session
            .handle(&optneg(0x1f_ffff), &mut out)
            .expect("optneg");
        session
            .handle(&pkt(p::C_MAIL, b"<a@b>\0"), &mut out)
            .expect("mail");
        session
            .handle(&pkt(p::C_HEADER, b"Subject\0x\0"), &mut out)
            .expect("h");
        session.handle(&pkt(p::C_EOH, b""), &mut out).expect("eoh");
        out.clear();
        let chunk = vec![b'a'; 65535];
        session
            .handle(&pkt(p::C_BODY, &chunk), &mut out)
            .expect("body");
        assert_eq!(replies(&out), [(p::R_CONTINUE, vec![])]);
        out.clear();
        session
            .handle(&pkt(p::C_BODY, &chunk), &mut out)
            .expect("body");
        assert_eq!(replies(&out), [(p::R_SKIP, vec![])]);
        out.clear();
        session
            .handle(&pkt(p::C_BODYEOB, b""), &mut out)
            .expect("eob");
        assert_eq!(*seen.lock().expect("lock"), 100_000);
        assert_eq!(replies(&out).last(), Some(&(p::R_CONTINUE, vec![])));
    }

    #[test]
    fn message_is_rebuilt_with_crlf() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        struct Copy(Arc<Mutex<Vec<u8>>>);
        impl Scorer for Copy {
            fn score(&self, raw: &[u8]) -> Result<(f64, Verdict), String> {
                *self.0.lock().expect("lock") = raw.to_vec();
                Ok((0.5, Verdict::Unsure))
            }
        }
        let mut s = settings(0.5);
        s.scorer = Box::new(Copy(seen.clone()));
        let _ = transaction(
            s,
            "192.0.2.1",
            None,
            &[("Subject", "one\n\ttwo"), ("To", "b@example.org")],
            b"body\r\n",
        );
        assert_eq!(
            &*seen.lock().expect("lock"),
            b"Subject: one\r\n\ttwo\r\nTo: b@example.org\r\n\r\nbody\r\n"
        );
    }

    #[test]
    fn old_mta_gets_replies_and_no_quarantine() {
        let mut s = settings(0.999);
        s.quarantine_above = Some(0.5);
        let s = Arc::new(s);
        let get = move || s.clone();
        let log = |_: &Record<'_>| {};
        let mut session = Session::new(&get, &log);
        let mut out = Vec::new();
        let mut d = Vec::new();
        for w in [2u32, 0x1f, 0x7f] {
            d.extend_from_slice(&w.to_be_bytes());
        }
        session
            .handle(&pkt(p::C_OPTNEG, &d), &mut out)
            .expect("optneg");
        out.clear();
        for packet in [
            connect("192.0.2.9"),
            pkt(p::C_MAIL, b"<a@b>\0"),
            pkt(p::C_HEADER, b"From\0a\0"),
            pkt(p::C_EOH, b""),
            pkt(p::C_BODY, b"x\r\n"),
        ] {
            session.handle(&packet, &mut out).expect("packet");
            assert_eq!(replies(&out), [(p::R_CONTINUE, vec![])]);
            out.clear();
        }
        session
            .handle(&pkt(p::C_BODYEOB, b""), &mut out)
            .expect("eob");
        let r = replies(&out);
        assert!(!r.iter().any(|(c, _)| *c == p::R_QUARANTINE));
        assert_eq!(r.last(), Some(&(p::R_CONTINUE, vec![])));
        assert_eq!(
            session
                .handle(&pkt(p::C_QUIT, b""), &mut out)
                .expect("quit"),
            Flow::Quit
        );
        assert!(session.handle(&pkt(b'Z', b""), &mut out).is_err());

        // A skipped client is accepted at MAIL: an old MTA sends no DATA.
        let mut s = settings(0.999);
        s.skip_networks = vec![Network::parse("192.0.2.0/24").expect("net")];
        let s = Arc::new(s);
        let get = move || s.clone();
        let mut session = Session::new(&get, &log);
        out.clear();
        session
            .handle(&pkt(p::C_OPTNEG, &d), &mut out)
            .expect("optneg");
        session
            .handle(&connect("192.0.2.9"), &mut out)
            .expect("connect");
        out.clear();
        session
            .handle(&pkt(p::C_MAIL, b"<a@b>\0"), &mut out)
            .expect("mail");
        assert_eq!(replies(&out), [(p::R_ACCEPT, vec![])]);
        assert!(!session.busy());
    }
}
