#!/usr/bin/env bash
# Sets fumi up on a fresh Debian machine and runs the main job once:
# installs the build dependencies, builds, trains a throw-away database on
# four fifths of the sample corpus (a small one: 79 spam, 119 clean, many of
# them the corpus's "hard" ones), scans the fifth it has not seen, and shows
# the headers fumi adds to one held-out spam and one held-out clean message.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! dpkg -s mecab-ipadic build-essential >/dev/null 2>&1; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q build-essential mecab-ipadic
fi
cargo build --release --locked
FUMI=target/release/fumi
HOME_DIR=$(mktemp -d)
trap 'rm -rf "$HOME_DIR"' EXIT
split() { # split OUT_TRAIN OUT_TEST FILES...: every fifth file is held out
  local -n train=$1 test=$2
  shift 2
  local i=0
  for f in "$@"; do
    if (( i++ % 5 == 4 )); then test+=("$f"); else train+=("$f"); fi
  done
}
spam_train=() spam_test=() ham_train=() ham_test=()
split spam_train spam_test corpus/spam/*
split ham_train ham_test corpus/ham/*
"$FUMI" --homedir "$HOME_DIR" --add-spam "${spam_train[@]}"
"$FUMI" --homedir "$HOME_DIR" --add-clean "${ham_train[@]}"
"$FUMI" --homedir "$HOME_DIR" --show-db-status | head -3
caught=$("$FUMI" --homedir "$HOME_DIR" --scan "${spam_test[@]}" | grep -c $'\tspam\t' || true)
misfiled=$("$FUMI" --homedir "$HOME_DIR" --scan "${ham_test[@]}" | grep -c $'\tspam\t' || true)
echo "held out: ${caught} of ${#spam_test[@]} spam caught, ${misfiled} of ${#ham_test[@]} clean messages marked spam"
for msg in "${spam_test[0]}" "${ham_test[0]}"; do
  echo "== $msg"
  "$FUMI" --homedir "$HOME_DIR" --pipe --insert-flag --insert-probability < "$msg" \
    | sed -n '/^$/q;p' | grep -a -E '^(Subject|X-Spam-Flag|X-Spam-Probability):'
done
