#!/usr/bin/env bash
# Runs every test of Condenser, installing first whatever the tests need.
#
#   ./test.sh
#
# Needs only a Rust toolchain (cargo) and, for system packages, apt-get (run as root or
# with sudo). Tests that need real peers start them on 127.0.0.1 themselves.
set -euo pipefail
cd "$(dirname "$0")"

# System packages the tests use. Install only what is missing, so repeated runs stay fast.
packages=(python3)
missing=()
for package in "${packages[@]}"; do
  command -v "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

cargo test --workspace --locked
