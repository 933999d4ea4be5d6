#!/usr/bin/env bash
# Regenerate docs/templates/<id>.png, page 1 of every template rendered (as a
# draft) from its fixture, so that users can see what each template produces.
# Needs poppler-utils (pdftoppm), which scripts/test.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --bin acta
out=docs/templates
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for fixture in fixtures/acts/*.json; do
  id=$(basename "$fixture" .json)
  ./target/debug/acta --data-dir "$tmp/data" render --input "$fixture" --out "$tmp/$id.pdf"
  pdftoppm -png -r 70 -f 1 -singlefile "$tmp/$id.pdf" "$out/$id"
  echo "$out/$id.png"
done
