#!/bin/sh
# What Japanese costs: fumi and bogofilter train and scan the Japanese mail
# made by contrib/bench/ja-corpus.sh and the English SpamAssassin corpus,
# side by side in one run.
#
#   contrib/bench/ja-speed.sh [JA_MAILDIR [EN_CORPUS [ROUNDS]]]
#
# Each corpus is sorted by name; the even-numbered half is trained (in turn
# as spam and as clean, in one bulk command per class), the odd-numbered half
# scanned in one bulk command. Figures are medians over ROUNDS (default 3) of
# wall-clock time, fresh databases each round, fumi and bogofilter alternating
# which goes first.
set -eu
cd "$(dirname "$0")/../.."
ja=${1:-/tmp/fumi-ja-mail}
en=${2:-../shared/corpus/spamassassin}
rounds=${3:-3}
fumi=${FUMI:-target/release/fumi}
[ -x "$fumi" ] || cargo build --release
[ -d "$ja" ] || { echo "no $ja: run contrib/bench/ja-corpus.sh first" >&2; exit 2; }
command -v bogofilter >/dev/null || { echo "bogofilter is needed (apt-get install bogofilter)" >&2; exit 2; }
python3 - "$fumi" "$ja" "$en" "$rounds" <<'PY'
import os, statistics, subprocess, sys, tempfile, time

fumi, ja, en, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def files(root):
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
                  if os.path.basename(d) != "tmp")

def timed(cmd, stdin=None, ok=(0,)):
    t = time.perf_counter()
    r = subprocess.run(cmd, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode not in ok:
        sys.exit(f"{cmd[:4]}: exit {r.returncode}: {r.stderr.decode(errors='replace')}")
    return time.perf_counter() - t

def run_fumi(home, spam, clean, test):
    t = timed([fumi, "--homedir", home, "--add-spam"] + spam)
    t += timed([fumi, "--homedir", home, "--add-clean"] + clean)
    return t, timed([fumi, "--homedir", home, "--scan"] + test, ok=(0, 1))

def run_bogo(home, spam, clean, test):
    lst = lambda fs: "".join(f + "\n" for f in fs).encode()
    t = timed(["bogofilter", "-C", "-d", home, "-s", "-b"], lst(spam))
    t += timed(["bogofilter", "-C", "-d", home, "-n", "-b"], lst(clean))
    return t, timed(["bogofilter", "-C", "-d", home, "-T", "-b"], lst(test), ok=(0, 1, 2))

corpora = [("Japanese (manpages-ja)", ja), ("English (SpamAssassin)", en)]
print(f"{'corpus':24} {'filter':11} {'MB':>6} {'train msg/s':>12} {'scan msg/s':>11} {'scan MB/s':>10}")
results = {}
for name, root in corpora:
    fs = files(root)
    if not fs:
        print(f"{name}: no messages under {root}", file=sys.stderr); continue
    train, test = fs[0::2], fs[1::2]
    spam, clean = train[0::2], train[1::2]
    mb = sum(os.path.getsize(f) for f in test) / 1e6
    times = {"fumi": [], "bogofilter": []}
    for r in range(rounds):
        order = [("fumi", run_fumi), ("bogofilter", run_bogo)]
        for label, fn in (order if r % 2 == 0 else order[::-1]):
            with tempfile.TemporaryDirectory() as home:
                times[label].append(fn(home, spam, clean, test))
    for label, ts in times.items():
        tr = statistics.median(t for t, _ in ts)
        sc = statistics.median(s for _, s in ts)
        results[(name, label)] = (len(train) / tr, len(test) / sc)
        print(f"{name:24} {label:11} {mb:6.1f} {len(train) / tr:12.0f} {len(test) / sc:11.0f} {mb / sc:10.1f}")
for name, _ in corpora:
    if (name, "fumi") in results:
        f, b = results[(name, "fumi")], results[(name, "bogofilter")]
        print(f"{name}: fumi/bogofilter train {f[0] / b[0]:.2f}x, scan {f[1] / b[1]:.2f}x")
PY
