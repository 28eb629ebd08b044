#!/bin/sh
# One message through the delivery pipe, process start to exit, on a warm
# database: fumi --pipe against bogofilter -p, side by side in one run.
#
#   contrib/bench/pipe-latency.sh [CORPUS_DIR [RUNS]]
#
# CORPUS_DIR has ham/ and spam/ (default: the SpamAssassin public corpus in
# ../shared/corpus/spamassassin, else the sample in corpus/). Both filters are
# trained on the even-numbered half; then each of 50 messages of the other
# half goes through each filter RUNS times (default 10), fumi and bogofilter
# alternating. Prints the median and 95th percentile per filter and their
# ratio.
set -eu
cd "$(dirname "$0")/../.."
corpus=${1:-../shared/corpus/spamassassin}
[ -d "$corpus/ham" ] || corpus=corpus
runs=${2:-10}
fumi=${FUMI:-target/release/fumi}
[ -x "$fumi" ] || cargo build --release
command -v bogofilter >/dev/null || { echo "bogofilter is needed (apt-get install bogofilter)" >&2; exit 2; }
python3 - "$fumi" "$corpus" "$runs" <<'PY'
import os, statistics, subprocess, sys, tempfile, time

fumi, corpus, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def files(d):
    return sorted(os.path.join(corpus, d, f) for f in os.listdir(os.path.join(corpus, d)))
ham, spam = files("ham"), files("spam")
work = tempfile.mkdtemp()
fh, bh = os.path.join(work, "fumi"), os.path.join(work, "bogo")
lst = lambda fs: "".join(f + "\n" for f in fs).encode()
subprocess.run([fumi, "--homedir", fh, "--add-spam"] + spam[0::2], check=True)
subprocess.run([fumi, "--homedir", fh, "--add-clean"] + ham[0::2], check=True)
subprocess.run(["bogofilter", "-d", bh, "-s", "-b"], input=lst(spam[0::2]), check=True)
subprocess.run(["bogofilter", "-d", bh, "-n", "-b"], input=lst(ham[0::2]), check=True)
test = (spam[1::2][:15] + ham[1::2][:35])
cmds = {
    "fumi --pipe --insert-flag --insert-probability": [fumi, "--homedir", fh, "--pipe", "--insert-flag", "--insert-probability"],
    "bogofilter -p -e": ["bogofilter", "-d", bh, "-p", "-e"],
}
times = {k: [] for k in cmds}
for r in range(runs):
    for path in test:
        data = open(path, "rb").read()
        for name, cmd in (list(cmds.items()) if r % 2 == 0 else list(cmds.items())[::-1]):
            t = time.perf_counter()
            p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE)
            times[name].append(time.perf_counter() - t)
            if len(p.stdout) < len(data):
                sys.exit(f"{name}: the message did not come out whole")
for name, ts in times.items():
    ts.sort()
    print(f"{name:50} median {statistics.median(ts) * 1000:6.2f} ms  p95 {ts[int(len(ts) * 0.95)] * 1000:6.2f} ms  ({len(ts)} runs)")
a, b = (statistics.median(t) for t in times.values())
print(f"fumi / bogofilter median: {a / b:.2f}")
subprocess.run(["rm", "-rf", work])
PY
