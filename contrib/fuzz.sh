#!/usr/bin/env bash
# Coverage-guided fuzzing of fumi with cargo-fuzz (libFuzzer), each target
# for SECONDS (default 300). Not part of `cargo test`: the crashes it finds
# become regression tests (tests/fuzz_regressions.rs). README, "Reliability".
#
#   cargo install cargo-fuzz        # once
#   contrib/fuzz.sh 300             # parse, then rewrite, 300 s each
#   contrib/fuzz.sh 60 rewrite      # one target
#
# Targets (fuzz/fuzz_targets/):
#   parse    message bytes -> mail::parse -> tokenizer (IPADIC) -> token keys, digest
#   rewrite  --pipe header insertion (cli::pipe::rewrite), with the property
#            "output minus the inserted lines = input" asserted on every input
#
# Only a stable compiler is needed: "-s none" builds without a sanitizer, and
# then cargo-fuzz passes no -Z flag (a sanitizer needs -Zsanitizer, which a
# stable cargo refuses even with RUSTC_BOOTSTRAP=1). fumi's code under test is
# safe Rust; "-a" keeps debug assertions and overflow checks on in the
# optimised build, so a panic, an integer overflow, an assertion, a timeout
# or a memory blow-up is what the fuzzer catches. Crashes land in
# fuzz/artifacts/TARGET/, logs in fuzz/logs/, the growing corpus in
# fuzz/corpus/ (all ignored by git).
set -euo pipefail
secs=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parse rewrite)
cd "$(dirname "$0")/../fuzz"
for t in "${targets[@]}"; do cargo fuzz build -O -a -s none "$t"; done
mkdir -p logs
seed() {
    # The corpus sample as seeds; for rewrite, each message behind a selector byte.
    local t=$1 dir=corpus/$1
    mkdir -p "$dir"
    [ -n "$(ls -A "$dir")" ] && return
    local i=0
    for f in ../corpus/ham/* ../corpus/spam/*; do
        i=$((i + 1))
        if [ "$t" = parse ]; then
            head -c 65536 "$f" > "$dir/seed-$i"
        else
            { printf "\\x$(printf %02x $((i % 64)))"; head -c 8192 "$f"; } > "$dir/seed-$i"
        fi
    done
}
for t in "${targets[@]}"; do
    seed "$t"
    echo "== $t: ${secs}s"
    # -timeout: an input taking over 5 s is reported (the README bound is 2 s
    # for a whole run of the binary); -rss_limit_mb: over 2 GB is reported.
    cargo fuzz run -O -a -s none "$t" "corpus/$t" -- \
        -max_total_time="$secs" -max_len=65536 -timeout=5 -rss_limit_mb=2048 \
        -print_final_stats=1 > "logs/$t.log" 2>&1 || echo "$t: the fuzzer stopped on a finding (see fuzz/logs/$t.log, fuzz/artifacts/$t/)"
    grep -E '^(#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY)' "logs/$t.log" | tail -4
    grep -E '^#[0-9]+' "logs/$t.log" | tail -1
done
