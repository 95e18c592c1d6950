#!/usr/bin/env bash
# Runs every test of Condenser, installing first whatever the tests need.
#
#   ./test.sh
#
# Needs only a Rust toolchain (cargo) and, for system packages, apt-get (run as root or
# with sudo). Tests that need real peers start them on 127.0.0.1 themselves.
set -euo pipefail
cd "$(dirname "$0")"

# System packages the tests use, each with the check that shows it is there. Install only what
# is missing, so repeated runs stay fast. The SMTP sink runs on Debian's own Python
# (/usr/bin/python3) with Debian's aiosmtpd, whatever python3 comes first on PATH.
declare -A present=(
  [python3]="command -v python3"
  [python3-aiosmtpd]="/usr/bin/python3 -c 'import aiosmtpd'"
  [openssl]="command -v openssl"
  [influxdb]="command -v influxd"
)
missing=()
for package in "${!present[@]}"; do
  eval "${present[$package]}" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --locked 2>&1 | tee "$log" || status=$?

# One closing line for the whole run: cargo prints one `test result` per test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
