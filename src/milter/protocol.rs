//! The Sendmail milter protocol (version 6, as Postfix and Sendmail 8.14+
//! speak it; older versions down to 2 are accepted), MTA side in, filter
//! side out.
//!
//! Every packet is a 32-bit big-endian length, then that many bytes: a
//! one-byte command and its data. Strings are NUL-terminated. Written from
//! the protocol's public description (Sendmail's `mfdef.h` constants and
//! Postfix's `MILTER_README`); no libmilter code is used.

use std::io::{self, Read};

/// The protocol version this filter speaks.
pub const VERSION: u32 = 6;

/// Longest packet accepted from the MTA: body chunks are at most 64 KiB
/// (Postfix) or 1 MiB (Sendmail's largest-chunk extension); macros and
/// headers are far smaller.
pub const MAX_PACKET: usize = (1 << 20) + 1024;

// Commands from the MTA (SMFIC_*).
pub const C_ABORT: u8 = b'A';
pub const C_BODY: u8 = b'B';
pub const C_CONNECT: u8 = b'C';
pub const C_MACRO: u8 = b'D';
pub const C_BODYEOB: u8 = b'E';
pub const C_HELO: u8 = b'H';
pub const C_QUIT_NC: u8 = b'K';
pub const C_HEADER: u8 = b'L';
pub const C_MAIL: u8 = b'M';
pub const C_EOH: u8 = b'N';
pub const C_OPTNEG: u8 = b'O';
pub const C_QUIT: u8 = b'Q';
pub const C_RCPT: u8 = b'R';
pub const C_DATA: u8 = b'T';
pub const C_UNKNOWN: u8 = b'U';

// Replies to the MTA (SMFIR_*).
pub const R_ACCEPT: u8 = b'a';
pub const R_CONTINUE: u8 = b'c';
pub const R_ADDHEADER: u8 = b'h';
pub const R_CHGHEADER: u8 = b'm';
pub const R_QUARANTINE: u8 = b'q';
pub const R_SKIP: u8 = b's';
pub const R_REPLYCODE: u8 = b'y';

// Actions the filter may take (SMFIF_*).
pub const F_ADDHDRS: u32 = 0x01;
pub const F_CHGHDRS: u32 = 0x10;
pub const F_QUARANTINE: u32 = 0x20;

// Protocol steps (SMFIP_*): events the filter does not want, and events
// it will not reply to.
pub const P_NOHELO: u32 = 0x02;
pub const P_NORCPT: u32 = 0x08;
pub const P_NR_HDR: u32 = 0x80;
pub const P_NOUNKNOWN: u32 = 0x100;
pub const P_NODATA: u32 = 0x200;
pub const P_SKIP: u32 = 0x400;
pub const P_NR_CONN: u32 = 0x1000;
pub const P_NR_HELO: u32 = 0x2000;
pub const P_NR_MAIL: u32 = 0x4000;
pub const P_NR_RCPT: u32 = 0x8000;
pub const P_NR_DATA: u32 = 0x10000;
pub const P_NR_UNKN: u32 = 0x20000;
pub const P_NR_EOH: u32 = 0x40000;
pub const P_NR_BODY: u32 = 0x80000;
pub const P_HDR_LEADSPC: u32 = 0x100000;

/// What fumi asks for: add and change headers, quarantine.
pub const WANTED_ACTIONS: u32 = F_ADDHDRS | F_CHGHDRS | F_QUARANTINE;

/// Steps fumi skips or does not answer, when the MTA offers it: it needs
/// the connection (client address), MAIL (macros), DATA (the queue id is
/// known there, and a message to let pass is accepted there), headers,
/// body and end of message; nothing else.
pub const WANTED_STEPS: u32 =
    P_NOHELO | P_NORCPT | P_NOUNKNOWN | P_NR_HDR | P_NR_EOH | P_NR_CONN | P_NR_MAIL | P_SKIP;

/// Protocol errors: the connection is dropped (the MTA then applies its
/// `milter_default_action`).
#[derive(Debug)]
pub enum Error {
    Io(io::Error),
    /// A malformed packet.
    Malformed(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io(e) => write!(f, "{e}"),
            Error::Malformed(m) => write!(f, "protocol error: {m}"),
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

fn malformed(what: impl Into<String>) -> Error {
    Error::Malformed(what.into())
}

/// How a read ended without a packet.
#[derive(Debug, PartialEq, Eq)]
pub enum Idle {
    /// The MTA closed the connection between packets.
    Closed,
    /// `give_up` said to stop while no packet was half read.
    Stopped,
}

/// Reads one packet into `buf` (command byte first). The stream should have
/// a read timeout: on each timeout `give_up(partial)` is asked whether to
/// stop, with `partial` true when part of a packet has been read already.
pub fn read_packet(
    r: &mut impl Read,
    buf: &mut Vec<u8>,
    give_up: &mut dyn FnMut(bool) -> bool,
) -> Result<Result<(), Idle>, Error> {
    let mut len = [0u8; 4];
    match read_full(r, &mut len, true, give_up)? {
        Ok(()) => {}
        Err(idle) => return Ok(Err(idle)),
    }
    let n = u32::from_be_bytes(len) as usize;
    if n == 0 {
        return Err(malformed("empty packet"));
    }
    if n > MAX_PACKET {
        return Err(malformed(format!("packet of {n} bytes")));
    }
    buf.clear();
    buf.resize(n, 0);
    match read_full(r, buf, false, give_up)? {
        Ok(()) => Ok(Ok(())),
        Err(_) => Err(malformed("connection closed inside a packet")),
    }
}

fn read_full(
    r: &mut impl Read,
    out: &mut [u8],
    at_boundary: bool,
    give_up: &mut dyn FnMut(bool) -> bool,
) -> Result<Result<(), Idle>, Error> {
    let mut got = 0;
    while got < out.len() {
        match r.read(&mut out[got..]) {
            Ok(0) => {
                return if at_boundary && got == 0 {
                    Ok(Err(Idle::Closed))
                } else {
                    Err(malformed("connection closed inside a packet"))
                };
            }
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                let partial = !at_boundary || got > 0;
                if give_up(partial) {
                    return if partial {
                        Err(Error::Io(e))
                    } else {
                        Ok(Err(Idle::Stopped))
                    };
                }
            }
            Err(e) => return Err(Error::Io(e)),
        }
    }
    Ok(Ok(()))
}

/// Appends one reply packet to `out`.
pub fn put_reply(out: &mut Vec<u8>, cmd: u8, parts: &[&[u8]]) {
    let len = 1 + parts.iter().map(|p| p.len()).sum::<usize>();
    out.extend_from_slice(&(len as u32).to_be_bytes());
    out.push(cmd);
    for p in parts {
        out.extend_from_slice(p);
    }
}

/// A NUL-terminated string for [`put_reply`], with any NUL inside dropped.
pub fn cstr(s: &str) -> Vec<u8> {
    let mut v: Vec<u8> = s.bytes().filter(|&b| b != 0).collect();
    v.push(0);
    v
}

/// The option negotiation offered by the MTA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiation {
    pub version: u32,
    pub actions: u32,
    pub steps: u32,
}

impl Negotiation {
    /// Parses `SMFIC_OPTNEG` data.
    pub fn parse(data: &[u8]) -> Result<Negotiation, Error> {
        if data.len() < 12 {
            return Err(malformed("short option negotiation"));
        }
        let word = |i: usize| u32::from_be_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
        let n = Negotiation {
            version: word(0),
            actions: word(4),
            steps: word(8),
        };
        if n.version < 2 {
            return Err(malformed(format!("milter protocol version {}", n.version)));
        }
        Ok(n)
    }

    /// fumi's answer: its version (never above the MTA's), the actions it
    /// needs and the steps it skips, each limited to what the MTA offers.
    pub fn answer(&self) -> Negotiation {
        Negotiation {
            version: self.version.min(VERSION),
            actions: self.actions & WANTED_ACTIONS,
            steps: self.steps & WANTED_STEPS,
        }
    }

    /// The `SMFIC_OPTNEG` reply packet.
    pub fn put(&self, out: &mut Vec<u8>) {
        put_reply(
            out,
            C_OPTNEG,
            &[
                &self.version.to_be_bytes(),
                &self.actions.to_be_bytes(),
                &self.steps.to_be_bytes(),
            ],
        );
    }
}

/// Splits data into its NUL-terminated strings (a trailing unterminated
/// piece counts as one).
pub fn strings(data: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = data.split(|&b| b == 0).collect();
    if data.last() == Some(&0) || data.is_empty() {
        v.pop();
    }
    v
}

/// `SMFIC_MACRO` data: the command the macros belong to, then name/value
/// pairs. Names lose their braces (`{auth_authen}` → `auth_authen`).
pub fn parse_macros(data: &[u8]) -> Result<(u8, Vec<(String, String)>), Error> {
    let (&cmd, rest) = data
        .split_first()
        .ok_or_else(|| malformed("empty macro packet"))?;
    let parts = strings(rest);
    let mut out = Vec::with_capacity(parts.len() / 2);
    for pair in parts.chunks(2) {
        let name = String::from_utf8_lossy(pair[0]);
        let name = name
            .trim_start_matches('{')
            .trim_end_matches('}')
            .to_string();
        let value = pair
            .get(1)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        out.push((name, value));
    }
    Ok((cmd, out))
}

/// `SMFIC_CONNECT` data: the client's address, if it has an IP address.
pub fn parse_connect(data: &[u8]) -> Option<std::net::IpAddr> {
    let nul = memchr::memchr(0, data)?;
    let rest = &data[nul + 1..];
    let (&family, rest) = rest.split_first()?;
    if family != b'4' && family != b'6' {
        return None;
    }
    let addr = rest.get(2..)?;
    let addr = strings(addr).into_iter().next()?;
    let addr = std::str::from_utf8(addr).ok()?;
    let addr = addr
        .strip_prefix("IPv6:")
        .unwrap_or(addr)
        .trim_start_matches('[')
        .trim_end_matches(']');
    addr.parse().ok()
}

/// `SMFIC_HEADER` data: name and value.
pub fn parse_header(data: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let parts = strings(data);
    match parts.as_slice() {
        [name, value, ..] => Ok((name, value)),
        [name] => Ok((name, &[][..])),
        [] => Err(malformed("empty header packet")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(cmd: u8, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        put_reply(&mut v, cmd, &[data]);
        v
    }

    #[test]
    fn framing_round_trip() {
        let mut wire = packet(C_HEADER, b"Subject\0hi\0");
        wire.extend(packet(C_EOH, b""));
        let mut r = &wire[..];
        let mut buf = Vec::new();
        let mut never = |_| false;
        assert!(matches!(
            read_packet(&mut r, &mut buf, &mut never),
            Ok(Ok(()))
        ));
        assert_eq!(buf, b"LSubject\0hi\0");
        assert_eq!(
            parse_header(&buf[1..]).ok(),
            Some((&b"Subject"[..], &b"hi"[..]))
        );
        assert!(matches!(
            read_packet(&mut r, &mut buf, &mut never),
            Ok(Ok(()))
        ));
        assert_eq!(buf, b"N");
        assert!(matches!(
            read_packet(&mut r, &mut buf, &mut never),
            Ok(Err(Idle::Closed))
        ));
    }

    #[test]
    fn bad_packets() {
        let mut buf = Vec::new();
        let mut never = |_| false;
        let mut r = &[0u8, 0, 0, 0][..];
        assert!(read_packet(&mut r, &mut buf, &mut never).is_err());
        let mut r = &[0xffu8, 0, 0, 0][..];
        assert!(read_packet(&mut r, &mut buf, &mut never).is_err());
        let mut r = &[0u8, 0, 0, 5, b'L', b'x'][..];
        assert!(read_packet(&mut r, &mut buf, &mut never).is_err());
        let mut r = &[0u8, 0][..];
        assert!(read_packet(&mut r, &mut buf, &mut never).is_err());
    }

    #[test]
    fn negotiation_is_limited_to_the_offer() {
        let mut data = Vec::new();
        for w in [6u32, 0x1ff, 0x1fffff] {
            data.extend_from_slice(&w.to_be_bytes());
        }
        let n = Negotiation::parse(&data).expect("parse");
        let a = n.answer();
        assert_eq!(a.version, 6);
        assert_eq!(a.actions, F_ADDHDRS | F_CHGHDRS | F_QUARANTINE);
        assert_eq!(a.steps, WANTED_STEPS);
        // An old MTA: version 2, no quarantine, only the basic steps.
        let old = Negotiation {
            version: 2,
            actions: 0x1f,
            steps: 0x7f,
        };
        let a = old.answer();
        assert_eq!(
            (a.version, a.actions, a.steps),
            (2, 0x11, P_NOHELO | P_NORCPT)
        );
        let mut out = Vec::new();
        a.put(&mut out);
        assert_eq!(out.len(), 4 + 1 + 12);
        assert_eq!(&out[..5], &[0, 0, 0, 13, b'O']);
        assert!(Negotiation::parse(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(Negotiation::parse(&[0, 0, 0, 6]).is_err());
    }

    #[test]
    fn macros_and_connect() {
        let (cmd, m) = parse_macros(b"Mi\0ABC123\0{auth_authen}\0alice\0").expect("macros");
        assert_eq!(cmd, b'M');
        assert_eq!(
            m,
            [
                ("i".to_string(), "ABC123".to_string()),
                ("auth_authen".to_string(), "alice".to_string())
            ]
        );
        assert!(parse_macros(b"").is_err());
        let mut c = b"mx.example\x004".to_vec();
        c.extend_from_slice(&25u16.to_be_bytes());
        c.extend_from_slice(b"192.0.2.7\0");
        assert_eq!(parse_connect(&c), Some("192.0.2.7".parse().expect("ip")));
        let mut c = b"[2001:db8::1]\x006".to_vec();
        c.extend_from_slice(&25u16.to_be_bytes());
        c.extend_from_slice(b"IPv6:2001:db8::1\0");
        assert_eq!(parse_connect(&c), Some("2001:db8::1".parse().expect("ip")));
        assert_eq!(parse_connect(b"localhost\0L\0\0/sock\0"), None);
        assert_eq!(parse_connect(b"x\0U"), None);
        assert_eq!(parse_connect(b"x"), None);
    }

    #[test]
    fn cstr_drops_nul() {
        assert_eq!(cstr("a\0b"), b"ab\0");
        assert_eq!(strings(b"a\0b\0"), [&b"a"[..], &b"b"[..]]);
        assert_eq!(strings(b"a\0b"), [&b"a"[..], &b"b"[..]]);
        assert!(strings(b"").is_empty());
    }
}
