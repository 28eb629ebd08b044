#!/bin/sh
# What an import from bsfilter or bogofilter is worth: train bsfilter and
# bogofilter on half of a corpus, import their dumps into fumi, and score the
# other half with fumi; compare with fumi trained on the same half, and with
# bsfilter's and bogofilter's own scores.
#
#   contrib/bench/import-warm-start.sh CORPUS_DIR [FUMI_BINARY]
#
# CORPUS_DIR has ham/ and spam/ (e.g. the SpamAssassin public corpus). The
# training half is every other file in name order. Needs bsfilter,
# bogofilter and python3. Prints (1-AUC), false positives and false
# negatives at each filter's default cutoff, and the import times.
set -eu
corpus=$1
fumi=${2:-fumi}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for c in ham spam; do
    ls "$corpus/$c" | sort | awk -v d="$corpus/$c" 'NR % 2 == 1 { print d "/" $0 }' > "$work/train-$c"
    ls "$corpus/$c" | sort | awk -v d="$corpus/$c" 'NR % 2 == 0 { print d "/" $0 }' > "$work/test-$c"
done
cat "$work/test-spam" "$work/test-ham" > "$work/test-all"

# bsfilter
xargs bsfilter --homedir "$work/bs" -s < "$work/train-spam"
xargs bsfilter --homedir "$work/bs" -c < "$work/train-ham"
bsfilter --homedir "$work/bs" -u
bsfilter --homedir "$work/bs" --export-spam > "$work/bs-spam.txt"
bsfilter --homedir "$work/bs" --export-clean > "$work/bs-clean.txt"
xargs bsfilter --homedir "$work/bs" < "$work/test-all" > "$work/bs.out" || true

# bogofilter
mkdir "$work/bogo"
while read -r f; do bogofilter -d "$work/bogo" -s < "$f"; done < "$work/train-spam"
while read -r f; do bogofilter -d "$work/bogo" -n < "$f"; done < "$work/train-ham"
bogoutil -d "$work/bogo/wordlist.db" > "$work/bogo.txt"
bogofilter -d "$work/bogo" -b -t < "$work/test-all" > "$work/bogo.out" || true

# fumi: imports, and native training
t0=$(date +%s.%N)
"$fumi" --homedir "$work/f-bs" --import-spam "$work/bs-spam.txt"
"$fumi" --homedir "$work/f-bs" --import-clean "$work/bs-clean.txt"
t1=$(date +%s.%N)
"$fumi" --homedir "$work/f-bogo" --import-bogofilter "$work/bogo.txt"
t2=$(date +%s.%N)
xargs "$fumi" --homedir "$work/f-native" --add-spam < "$work/train-spam"
xargs "$fumi" --homedir "$work/f-native" --add-clean < "$work/train-ham"
t3=$(date +%s.%N)
echo "time: fumi import of bsfilter dumps $(echo "$t1 - $t0" | bc) s, of bogofilter dump $(echo "$t2 - $t1" | bc) s, native training $(echo "$t3 - $t2" | bc) s"
for h in f-bs f-bogo f-native; do
    xargs "$fumi" --homedir "$work/$h" --scan < "$work/test-all" > "$work/$h.out" || true
done

python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
spam = set(open(f"{w}/test-spam").read().split())
order = open(f"{w}/test-all").read().split()

def auc(scores):
    s = [p for f, p in scores if f in spam]
    h = [p for f, p in scores if f not in spam]
    wins = 0.0
    for a in s:
        for b in h:
            wins += 1.0 if a > b else 0.5 if a == b else 0.0
    return 100.0 * (1.0 - wins / (len(s) * len(h)))

def report(name, scores, is_spam):
    fp = sum(1 for f, p in scores if f not in spam and is_spam(f, p))
    fn = sum(1 for f, p in scores if f in spam and not is_spam(f, p))
    print(f"{name:34} (1-AUC) {auc(scores):6.3f}%  FP {fp:4}  FN {fn:4}  of {len(scores)}")

# fumi's verdicts are those of its default cutoff (--scan's second column).
fumi_lines = lambda h: [l.split("\t") for l in open(f"{w}/{h}.out").read().splitlines()]
fumi = lambda h: [(c[2], float(c[0])) for c in fumi_lines(h)]
fumi_spam = lambda h: (lambda v: lambda f, p: v[f] == "spam")({c[2]: c[1] for c in fumi_lines(h)})
bs = [(l.split()[2], float(l.split()[4])) for l in open(f"{w}/bs.out") if l.startswith("combined probability")]
bogo = [(f, float(l.split()[1])) for f, l in zip(order, open(f"{w}/bogo.out").read().splitlines())]
report("bsfilter, own scores", bs, lambda f, p: p > 0.95)
report("fumi after --import-spam/-clean", fumi("f-bs"), fumi_spam("f-bs"))
report("bogofilter, own scores", bogo, lambda f, p: p >= 0.99)
report("fumi after --import-bogofilter", fumi("f-bogo"), fumi_spam("f-bogo"))
report("fumi trained natively", fumi("f-native"), fumi_spam("f-native"))
PY
