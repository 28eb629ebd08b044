//! The last line of defence of `--pipe`: what happens when the process is
//! killed by a fatal signal rather than an error or a panic.
//!
//! Errors and panics are handled where they happen (the message passes
//! through unchanged). A few failures never return: an out-of-memory abort,
//! a stack overflow, a bus error from a database file damaged behind LMDB's
//! back. [`install`] sets handlers for them; while `--pipe` still holds an
//! undelivered message ([`hold`]), the handler writes that message to
//! standard output unchanged, copies the rest of standard input after it,
//! and exits 0, so the mail is delivered unfiltered instead of lost. Once
//! output has begun ([`writing`]) it exits 3 (the MDA keeps its copy and
//! retries); once the message is out ([`delivered`]) it exits 0. Without
//! `--pipe` it prints one line and exits 3, never 1 ("clean").
//!
//! [`install`] also ignores SIGXFSZ, so that a write past the file-size
//! limit fails with EFBIG (a clean "file too large" error that aborts the
//! transaction) instead of killing the process.
//!
//! The handler only uses async-signal-safe calls (`write`, `read`, `_exit`)
//! on memory set up before the signal.

use std::sync::atomic::{AtomicPtr, AtomicU8, AtomicUsize, Ordering};

const IDLE: u8 = 0;
const HOLDING: u8 = 1;
const HOLDING_MORE: u8 = 2;
const WRITING: u8 = 3;
const DELIVERED: u8 = 4;

static STATE: AtomicU8 = AtomicU8::new(IDLE);
static HEAD_PTR: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static HEAD_LEN: AtomicUsize = AtomicUsize::new(0);

const SIGNALS: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGABRT,
    libc::SIGILL,
    libc::SIGFPE,
];

/// Installs the handlers and ignores SIGXFSZ. Call once, at start.
pub fn install() {
    // SAFETY: plain libc calls with a zeroed, then filled, sigaction; the
    // handler is an `extern "C"` function that never returns.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler as *const () as libc::sighandler_t;
        // On the alternate stack Rust sets up for every thread (a stack
        // overflow has no stack left); back to the default action if the
        // handler itself faults.
        sa.sa_flags = libc::SA_ONSTACK | libc::SA_RESETHAND;
        libc::sigemptyset(&mut sa.sa_mask);
        for sig in SIGNALS {
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// `--pipe` has read `head` (standard input up to the limit; `more` if input
/// remains) and not written anything yet. `head` must stay alive and
/// unchanged until [`writing`] is called.
pub fn hold(head: &[u8], more: bool) {
    HEAD_PTR.store(head.as_ptr().cast_mut(), Ordering::SeqCst);
    HEAD_LEN.store(head.len(), Ordering::SeqCst);
    STATE.store(if more { HOLDING_MORE } else { HOLDING }, Ordering::SeqCst);
}

/// Output has begun: the held message may no longer be written.
pub fn writing() {
    STATE.store(WRITING, Ordering::SeqCst);
    HEAD_PTR.store(std::ptr::null_mut(), Ordering::SeqCst);
    HEAD_LEN.store(0, Ordering::SeqCst);
}

/// The message is out.
pub fn delivered() {
    STATE.store(DELIVERED, Ordering::SeqCst);
}

fn write_all(fd: libc::c_int, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        // SAFETY: write(2) on a valid buffer.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            // SAFETY: reading errno is async-signal-safe.
            if unsafe { *libc::__errno_location() } == libc::EINTR {
                continue;
            }
            return false;
        }
        if n == 0 {
            return false;
        }
        bytes = &bytes[(n as usize).min(bytes.len())..];
    }
    true
}

/// Copies the rest of standard input to standard output.
fn copy_rest() -> bool {
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: read(2) into a buffer on the (alternate) stack.
        let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
        if n == 0 {
            return true;
        }
        if n < 0 {
            // SAFETY: as above.
            if unsafe { *libc::__errno_location() } == libc::EINTR {
                continue;
            }
            return false;
        }
        if !write_all(1, &buf[..(n as usize).min(buf.len())]) {
            return false;
        }
    }
}

fn what(sig: libc::c_int) -> &'static [u8] {
    match sig {
        libc::SIGBUS => b"bus error (a damaged database file?)",
        libc::SIGSEGV => b"segmentation fault or stack overflow",
        libc::SIGABRT => b"aborted (out of memory?)",
        libc::SIGILL => b"illegal instruction",
        libc::SIGFPE => b"arithmetic exception",
        _ => b"fatal signal",
    }
}

fn exit(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and ends the process at once.
    unsafe { libc::_exit(code) }
}

extern "C" fn handler(sig: libc::c_int) {
    let state = STATE.swap(WRITING, Ordering::SeqCst);
    let _ = write_all(2, b"fumi: ");
    let _ = write_all(2, what(sig));
    match state {
        HOLDING | HOLDING_MORE => {
            let _ = write_all(2, b"; message passed through unchanged\n");
            let ptr = HEAD_PTR.load(Ordering::SeqCst);
            let len = HEAD_LEN.load(Ordering::SeqCst);
            let head: &[u8] = if ptr.is_null() {
                &[]
            } else {
                // SAFETY: `hold` stored a live, unchanging buffer of this
                // length; `writing` clears it before the buffer may change.
                unsafe { std::slice::from_raw_parts(ptr, len) }
            };
            if write_all(1, head) && (state == HOLDING || copy_rest()) {
                exit(0);
            }
            exit(super::EXIT_ERROR);
        }
        DELIVERED => {
            let _ = write_all(2, b" after delivery; nothing learned\n");
            exit(0);
        }
        _ => {
            let _ = write_all(2, b"\n");
            exit(super::EXIT_ERROR);
        }
    }
}
