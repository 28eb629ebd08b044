#!/bin/sh
# Japanese benchmark material from Debian's manpages-ja (apt-get install -y
# manpages-ja), which is real Japanese prose with some English mixed in:
#
#   contrib/bench/ja-corpus.sh [TEXT [MAILDIR]]
#
# TEXT (default /tmp/fumi-ja.txt) gets the text of every page, UTF-8, one
# paragraph per line; benches/tokenize.rs reads it (FUMI_BENCH_JA).
# MAILDIR (default /tmp/fumi-ja-mail) gets one message per page in the
# charsets and transfer encodings Japanese mail really uses, in turn:
# ISO-2022-JP 7bit, Shift_JIS (CP932) base64, EUC-JP quoted-printable and
# UTF-8 base64, each with an RFC 2047 Subject. contrib/bench/ja-speed.sh
# trains and scans it.
set -eu
text=${1:-/tmp/fumi-ja.txt}
maildir=${2:-/tmp/fumi-ja-mail}
src=/usr/share/man/ja
[ -d "$src" ] || { echo "no $src: apt-get install -y manpages-ja" >&2; exit 1; }
rm -rf "$maildir"
mkdir -p "$maildir/cur" "$maildir/new" "$maildir/tmp"
python3 - "$src" "$text" "$maildir" <<'PY'
import base64, gzip, os, quopri, re, sys
from email.header import Header

src, text_path, maildir = sys.argv[1:4]
pages = sorted(os.path.join(d, f) for d, _, fs in os.walk(src) for f in fs if f.endswith(".gz"))
escape = re.compile(r"\\f[BIRP1-4]|\\f\(..|\\f\[[^]]*\]|\\\(..|\\[&|^%e-]|\\s[-+]?\d")

def page_text(path):
    raw = gzip.open(path).read()
    try:
        s = raw.decode("utf-8")
    except UnicodeDecodeError:
        s = raw.decode("euc_jp", errors="replace")
    paras, cur = [], []
    for line in s.splitlines():
        if line.startswith(('.\\"', "'\\\"")):
            continue
        if line.startswith((".", "'")):
            words = line.split(None, 1)
            if words[0] in (".PP", ".LP", ".P", ".SH", ".SS", ".TP", ".IP", ".sp", ".br"):
                if cur:
                    paras.append(" ".join(cur)); cur = []
            if words[0] in (".SH", ".SS", ".B", ".I", ".BR", ".IR", ".BI", ".RB", ".RI") and len(words) > 1:
                cur.append(words[1].replace('"', ""))
            continue
        line = escape.sub("", line).strip()
        if line:
            cur.append(line)
    if cur:
        paras.append(" ".join(cur))
    return [p for p in paras if p.strip()]

kinds = [("iso-2022-jp", "7bit"), ("cp932", "base64"), ("euc_jp", "quoted-printable"), ("utf-8", "base64")]
labels = {"iso-2022-jp": "ISO-2022-JP", "cp932": "Shift_JIS", "euc_jp": "EUC-JP", "utf-8": "UTF-8"}
n = 0
with open(text_path, "w", encoding="utf-8") as out:
    for i, path in enumerate(pages):
        paras = page_text(path)
        if not paras:
            continue
        body = "\n\n".join(paras) + "\n"
        out.write("\n".join(paras) + "\n")
        codec, cte = kinds[n % len(kinds)]
        try:
            data = body.encode(codec)
            subject = Header(os.path.basename(path)[:-3] + " " + paras[0][:40], labels[codec] if codec != "cp932" else "shift_jis").encode()
        except (UnicodeEncodeError, LookupError):
            codec, cte = "utf-8", "base64"
            data = body.encode(codec)
            subject = Header(os.path.basename(path)[:-3] + " " + paras[0][:40], "utf-8").encode()
        if cte == "base64":
            payload = base64.encodebytes(data)
        elif cte == "quoted-printable":
            payload = quopri.encodestring(data)
        else:
            payload = data.replace(b"\n", b"\r\n").replace(b"\r\n", b"\n")
        head = (
            f"From: man-{n}@example.jp\nTo: you@example.jp\nSubject: {subject}\n"
            f"Message-ID: <ja-{n}@example.jp>\nDate: Fri, 27 Nov 2026 12:00:00 +0900\n"
            f"MIME-Version: 1.0\nContent-Type: text/plain; charset={labels[codec]}\n"
            f"Content-Transfer-Encoding: {cte}\n\n"
        ).encode("ascii")
        with open(os.path.join(maildir, "cur", f"{n:05d}.ja:2,S"), "wb") as f:
            f.write(head + payload)
        n += 1
print(f"{text_path}: {os.path.getsize(text_path) / 1e6:.1f} MB of text; {maildir}: {n} messages", file=sys.stderr)
PY
