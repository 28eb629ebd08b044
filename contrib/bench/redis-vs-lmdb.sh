#!/usr/bin/env bash
# Training and scoring speed of the Redis store against LMDB, side by side in
# one run, and Redis memory per token.
#
#   contrib/bench/redis-vs-lmdb.sh [CORPUS_DIR] [ROUNDS]
#
# CORPUS_DIR has ham/ and spam/ with one message per file (default: the
# SpamAssassin public corpus in ../shared/corpus/spamassassin, else the
# sample in corpus/). Messages are sorted by name; the even-numbered half is
# trained, the odd-numbered half scored. Each round trains a fresh LMDB home
# and a fresh Redis prefix, alternating which goes first; figures are medians
# over ROUNDS (default 3). A redis-server of its own runs on a free loopback
# port with persistence off, as a site's would with default settings.
set -euo pipefail
cd "$(dirname "$0")/../.."

corpus=${1:-../shared/corpus/spamassassin}
[ -d "$corpus/ham" ] || corpus=corpus
rounds=${2:-3}
fumi=${FUMI:-target/release/fumi}
[ -x "$fumi" ] || cargo build --release
command -v redis-server >/dev/null || { echo "redis-server is needed (apt-get install redis-server)" >&2; exit 2; }

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
  --logfile "$work/redis.log" --daemonize yes --pidfile "$work/redis.pid"
cleanup() { kill "$(cat "$work/redis.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
url="redis://127.0.0.1:$port/0"
rcli() { redis-cli -p "$port" "$@"; }

split() { # split DIR: write train and test file lists
  find "$corpus/$1" -type f | LC_ALL=C sort | awk -v t="$work/train-$1" -v s="$work/test-$1" \
    'NR % 2 == 1 { print > t; next } { print > s }'
}
split ham
split spam
cat "$work/test-spam" "$work/test-ham" > "$work/test"
head -n 100 "$work/test-spam" > "$work/deliver"; head -n 100 "$work/test-ham" >> "$work/deliver"
ntrain=$(cat "$work/train-spam" "$work/train-ham" | wc -l)
ntest=$(wc -l < "$work/test")
ndeliver=$(wc -l < "$work/deliver")

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A T
scan_all() { # scan_all OUT LIST [-n N] ARGS...: exit 1 ("no spam") is fine, missing lines are not
  local out=$1 list=$2; shift 2
  local n=(); if [ "$1" = -n ]; then n=(-n "$2"); shift 2; fi
  xargs -a "$list" -d '\n' "${n[@]}" "$fumi" "$@" > "$out" || [ $? -eq 123 ]
  [ "$(wc -l < "$out")" -eq "$(wc -l < "$list")" ] || { echo "scan of $list: lines missing in $out" >&2; exit 1; }
}
# One step of a round on one store: train, scan (one process: counts loaded
# once, a snapshot), lookup (50 messages per process: one lookup, one round
# trip, per message), pipe (one `fumi --pipe` process per message, as from
# procmail).
step() { # step STEP NAME ROUND ARGS...
  local what=$1 name=$2 round=$3 t0 t1; shift 3
  t0=$(now)
  case $what in
    train)
      xargs -a "$work/train-spam" -d '\n' "$fumi" "$@" --add-spam
      xargs -a "$work/train-ham" -d '\n' "$fumi" "$@" --add-clean ;;
    scan) scan_all "$work/scan-$name-$round" "$work/test" "$@" --scan ;;
    lookup) scan_all "$work/lookup-$name-$round" "$work/test" -n 50 "$@" --scan ;;
    pipe)
      while IFS= read -r m; do
        "$fumi" "$@" --pipe --insert-flag --insert-probability < "$m" > /dev/null
      done < "$work/deliver" ;;
  esac
  t1=$(now); T[$name,$what]+=" $(secs "$t0" "$t1")"
}

# Each step runs on both stores back to back, alternating which goes first,
# so that both see the same load on a shared machine.
for r in $(seq "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then order="lmdb redis"; else order="redis lmdb"; fi
  rcli config resetstat > /dev/null
  for what in train scan lookup pipe; do
    for s in $order; do
      if [ "$s" = lmdb ]; then
        step "$what" lmdb "$r" --homedir "$work/lmdb-$r"
      else
        step "$what" redis "$r" --db "$url" --redis-prefix "bench$r"
      fi
    done
    if [ "$what" = train ]; then
      rcli info commandstats | grep -E '^cmdstat_evalsha' >> "$work/evalsha" || true
    fi
  done
  cmp -s "$work/scan-lmdb-$r" "$work/scan-redis-$r" || { echo "round $r: LMDB and Redis scores differ" >&2; exit 1; }
  cmp -s "$work/lookup-redis-$r" "$work/scan-lmdb-$r" || { echo "round $r: lookup and snapshot scores differ" >&2; exit 1; }
done

rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
row() { # row LABEL KEY N
  local l r; l=$(echo "${T[lmdb,$2]}" | median); r=$(echo "${T[redis,$2]}" | median)
  printf '| %s | %s | %s | %s | %.2f |\n' "$1" "$(rate "$3" "$l")" "$(rate "$3" "$r")" "$3" \
    "$(awk -v a="$l" -v b="$r" 'BEGIN { print b / a }')"
}

p=bench1
tokens=$(rcli hlen "{$p}:tokens")
digests=$(rcli hlen "{$p}:trained")
tok_bytes=$(rcli memory usage "{$p}:tokens" samples 0)
dig_bytes=$(rcli memory usage "{$p}:trained" samples 0)
# used_memory with every bench database, less an empty server's, per database.
used=$(rcli info memory | awk -F: '/^used_memory:/ { print $2+0 }')
lmdb_bytes=$("$fumi" --homedir "$work/lmdb-1" --show-db-status | awk -F'\t' '$1 == "db_bytes" { print $2 }')
rcli flushall > /dev/null
empty=$(rcli info memory | awk -F: '/^used_memory:/ { print $2+0 }')

echo "corpus: $corpus ($ntrain messages trained, $ntest scored; $ndeliver deliveries); $rounds rounds, medians"
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), redis $(redis-server --version | sed -n "s/.* v=\([0-9.]*\).*/\1/p"), loopback TCP"
echo
echo "| | LMDB msgs/s | Redis msgs/s | messages | Redis time / LMDB time |"
echo "|---|---:|---:|---:|---:|"
row "train (--add-spam, --add-clean)" train "$ntrain"
row "scan, one process (snapshot)" scan "$ntest"
row "scan, 50 per process (one lookup each)" lookup "$ntest"
row "deliveries, one --pipe process each" pipe "$ndeliver"
echo
awk -v t="$tokens" -v d="$digests" -v tb="$tok_bytes" -v db="$dig_bytes" -v u="$used" -v e="$empty" \
  -v r="$rounds" -v l="$lmdb_bytes" 'BEGIN {
  printf "Redis memory: %d tokens, MEMORY USAGE of the tokens hash %.1f MB = %.0f bytes/token;", t, tb / 1e6, tb / t
  printf " %d digests, %.0f bytes each;", d, db / d
  printf " used_memory %.0f bytes/token (whole database, %d databases loaded)\n", (u - e) / r / t, r
  printf "LMDB data.mdb: %.1f MB = %.0f bytes/token\n", l / 1e6, l / t }'
if [ -s "$work/evalsha" ]; then
  echo "training scripts (EVALSHA): $(awk -F'[,=]' '{ for (i = 1; i < NF; i++) if ($i == "usec_per_call") print $(i + 1) }' "$work/evalsha" | median) µs per call (median of rounds)"
fi
