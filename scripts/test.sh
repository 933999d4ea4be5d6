#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a used one:
#   1. installs the external validators the tests use (idempotent; apt),
#   2. checks formatting and lints (the same gates a reviewer applies),
#   3. runs every test (unit tests and the one integration-test binary).
# Extra arguments go to `cargo test` (e.g. a test-name filter).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to install: $*" >&2; exit 1
  fi
}

# Debian packages: command -> package.
declare -A APT=( [pdftotext]=poppler-utils [pdfinfo]=poppler-utils [pdffonts]=poppler-utils )
missing=()
for cmd in "${!APT[@]}"; do
  command -v "$cmd" >/dev/null || missing+=("${APT[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u)
fi

log "cargo fmt --check"
cargo fmt --check

log "cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --all-targets -- -D warnings

log "cargo test"
cargo test --locked -- "$@"
