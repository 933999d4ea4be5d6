#!/usr/bin/env bash
# Regenerate the screenshots of docs/ui/ (every page at 1280 and 375 pixels
# wide) from the browser scenarios, in Chromium. Needs what the browser tests
# need (scripts/test.sh installs chromium, chromium-driver and axe-core).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f docs/ui/*.png
UI_SCREENSHOTS=1 cargo test --test integration browser -- --nocapture "$@"
ls docs/ui
