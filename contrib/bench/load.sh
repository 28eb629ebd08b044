#!/usr/bin/env bash
# Load and concurrency on one home (README, "Reliability"): DELIVERIES
# concurrent deliveries (`--auto-update --pipe`), a bulk `--add-spam` of BULK
# messages and a `--scan` of SCAN messages, all started at once; then every
# exit status, every delivered message (byte for byte, plus the two headers)
# and the final message counts are checked (examples/load.rs). RUNS runs, each
# on a fresh home trained on a quarter of the corpus.
#
#   contrib/bench/load.sh [CORPUS] [DELIVERIES BULK SCAN] [RUNS]
#   default: ../shared/corpus/spamassassin 50 1000 1000, 3 runs
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=${1:-../shared/corpus/spamassassin}
deliveries=${2:-50}
bulk=${3:-1000}
scan=${4:-1000}
runs=${5:-3}
cargo build --release --quiet
cargo build --release --quiet --example load
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(uname -sr); $(date -u +%FT%TZ)"
for i in $(seq "$runs"); do
    echo "== run $i"
    target/release/examples/load target/release/fumi "$work/home$i" "$corpus" \
        "$deliveries" "$bulk" "$scan"
done
