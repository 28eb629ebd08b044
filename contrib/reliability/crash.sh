#!/usr/bin/env bash
# kill -9 a bulk training at random moments, KILLS times (default 30), on the
# SpamAssassin corpus (README, "Reliability"). After every kill the database
# must open and its --export-db must equal the state after some whole number
# of committed batches; rerunning the same training to completion must give
# the --export-db of an uninterrupted run, byte for byte.
#
#   contrib/reliability/crash.sh [KILLS] [CORPUS]
#   BATCH=500 (FUMI_TRAIN_BATCH: messages per commit; fumi's default is 10,000)
set -euo pipefail
cd "$(dirname "$0")/../.."
kills=${1:-30}
corpus=${2:-../shared/corpus/spamassassin}
batch=${BATCH:-500}
cargo build --release --quiet
fumi=$PWD/target/release/fumi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapfile -t msgs < <(find "$corpus/spam" "$corpus/ham" -type f | LC_ALL=C sort)
n=${#msgs[@]}
echo "$n messages, a commit every $batch; machine: $(nproc) cores; $(date -u +%FT%TZ)"
export_hash() { "$fumi" --homedir "$1" --export-db | sha256sum | cut -d' ' -f1; }
# The state after each committed batch (one training run per batch).
: > "$work/states"
for ((s = 0; s < n; s += batch)); do
    "$fumi" --homedir "$work/ref" --add-spam "${msgs[@]:s:batch}"
    export_hash "$work/ref" >> "$work/states"
done
final=$(tail -1 "$work/states")
commits=$(wc -l < "$work/states")
# One uninterrupted run.
t0=$(date +%s%N)
FUMI_TRAIN_BATCH=$batch "$fumi" --homedir "$work/whole" --add-spam "${msgs[@]}"
t1=$(date +%s%N)
full_ms=$(((t1 - t0) / 1000000))
[ "$(export_hash "$work/whole")" = "$final" ] || { echo "FAIL: uninterrupted run differs from batch by batch"; exit 1; }
echo "uninterrupted run: ${full_ms} ms, $commits commits"
fail=0
declare -A seen=()
for ((i = 1; i <= kills; i++)); do
    home=$work/kill$i
    FUMI_TRAIN_BATCH=$batch "$fumi" --homedir "$home" --add-spam "${msgs[@]}" &
    pid=$!
    delay=$((RANDOM * 32768 + RANDOM))
    delay=$((delay % (full_ms * 11 / 10 + 1)))
    sleep "$(awk "BEGIN { print $delay / 1000 }")"
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    state="none"
    if [ -e "$home/data.mdb" ]; then
        if ! "$fumi" --homedir "$home" --show-db-status > /dev/null; then
            echo "kill $i: FAIL: the database does not open"; fail=1; continue
        fi
        h=$(export_hash "$home")
        k=$(grep -n -x "$h" "$work/states" | head -1 | cut -d: -f1 || true)
        if [ -n "$k" ]; then
            state=$k
        elif "$fumi" --homedir "$home" --export-db | grep -qx 'messages 0 0'; then
            state=0
        else
            echo "kill $i: FAIL: not a committed state"; fail=1; continue
        fi
    fi
    seen[$state]=$((${seen[$state]:-0} + 1))
    "$fumi" --homedir "$home" --add-spam "${msgs[@]}"
    if [ "$(export_hash "$home")" != "$final" ]; then
        echo "kill $i: FAIL: rerun to completion differs"; fail=1; continue
    fi
    echo "kill $i after ${delay} ms: $state of $commits batches committed; rerun identical"
    rm -rf "$home"
done
echo -n "committed batches found after the kills (state: times):"
for k in $(printf '%s\n' "${!seen[@]}" | sort -n); do echo -n " $k:${seen[$k]}"; done
echo
[ $fail = 0 ] && echo "all $kills kills: whole commits only, reruns identical" || { echo FAILED; exit 1; }
