#!/usr/bin/env bash
# Pathological messages through the real binary: time, peak RSS, exit status
# and whether the --pipe output is the input plus fumi's headers, byte for
# byte. Prints the README table ("Reliability"). Needs /usr/bin/time (the
# Debian package `time`).
#
#   contrib/reliability/pathological.sh [SCALE]     # 1 = the sizes of the README
set -euo pipefail
scale=${1:-1}
cd "$(dirname "$0")/../.."
cargo build --release --quiet
cargo build --release --quiet --example hostile
fumi=target/release/fumi
gen=target/release/examples/hostile
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A home trained on the corpus sample shipped in the repository.
$fumi --homedir "$work/home" --add-spam corpus/spam
$fumi --homedir "$work/home" --add-clean corpus/ham
$gen "$work/cases" "$scale" > "$work/sizes"
echo "| message | size | --pipe time | --pipe peak RSS | --pipe output | --scan time | --scan peak RSS | --scan exit |"
echo "|---|---:|---:|---:|---|---:|---:|---:|"
while read -r name size; do
    f="$work/cases/$name"
    /usr/bin/time -o "$work/t" -f "%e %M %x" \
        $fumi --homedir "$work/home" --pipe --insert-flag --insert-probability < "$f" > "$work/out" 2> "$work/err" || true
    read -r pt pm px < <(tail -1 "$work/t")
    intact=$($gen check "$f" "$work/out")
    [ "$px" = 0 ] || intact="exit $px: $intact"
    grep -q . "$work/err" && intact="$intact; stderr: $(head -c 200 "$work/err")"
    /usr/bin/time -o "$work/t" -f "%e %M %x" \
        $fumi --homedir "$work/home" --scan "$f" > /dev/null 2> "$work/err" || true
    read -r st sm sx < <(tail -1 "$work/t")
    printf "| %s | %.1f MB | %s s | %d MB | %s | %s s | %d MB | %s |\n" \
        "$name" "$(awk "BEGIN { print $size / 1048576 }")" "$pt" $((pm / 1024)) "$intact" "$st" $((sm / 1024)) "$sx"
done < "$work/sizes"
