#!/usr/bin/env bash
# Sets fumi up on a fresh Debian machine and runs the main job once:
# installs the build dependencies, builds, trains a throw-away database on
# the sample corpus, filters one message and shows the headers fumi adds.
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
spam=(corpus/spam/*)
ham=(corpus/ham/*)
# Train on all but the last message of each class.
"$FUMI" --homedir "$HOME_DIR" --add-spam "${spam[@]:0:${#spam[@]}-1}"
"$FUMI" --homedir "$HOME_DIR" --add-clean "${ham[@]:0:${#ham[@]}-1}"
"$FUMI" --homedir "$HOME_DIR" --show-db-status | head -3
for msg in "${spam[-1]}" "${ham[-1]}"; do
  echo "== $msg"
  "$FUMI" --homedir "$HOME_DIR" --pipe --insert-flag --insert-probability < "$msg" \
    | sed -n '/^$/q;p' | grep -E '^(Subject|X-Spam-Flag|X-Spam-Probability):'
done
