#!/usr/bin/env bash
# Load test of `fumi --milter` behind a real Postfix on loopback.
#
# Starts a throw-away Postfix (two smtpd ports: one plain, one with
# smtpd_milters pointing at fumi) and fumi's milter on a database trained on
# half of corpus/, then has Postfix's smtp-source send FUMI_LOAD_MESSAGES
# copies of a spam from the untrained half over FUMI_LOAD_SESSIONS parallel
# SMTP sessions, to the plain port and to the filtered port in turn,
# FUMI_LOAD_ROUNDS times. During each run a probe sends messages one at a
# time and times Postfix's reply to the end of DATA (where the milter works).
# Every message must be delivered (to a Maildir), and every message through
# the milter must carry exactly one X-Spam-Flag.
#
# Needs root (Postfix) and the postfix package; takes a few minutes.
# The code is the ignored test `milter_load_benchmark` in
# tests/milter_postfix.rs.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then
  echo "milter-load: run as root (it starts Postfix)" >&2
  exit 2
fi
export FUMI_LOAD_MESSAGES="${FUMI_LOAD_MESSAGES:-10000}"
export FUMI_LOAD_SESSIONS="${FUMI_LOAD_SESSIONS:-50}"
export FUMI_LOAD_ROUNDS="${FUMI_LOAD_ROUNDS:-3}"
export FUMI_REQUIRE_SERVERS=1
echo "machine: $(nproc) CPUs,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(free -g | awk '/^Mem:/{print $2}') GiB, $(uname -sr)"
echo "postfix $(/usr/sbin/postconf -d -h mail_version), $(cargo --version)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: compare rows of one run)"
cargo test --release --test milter_postfix -- --ignored --exact --nocapture milter_load_benchmark
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
