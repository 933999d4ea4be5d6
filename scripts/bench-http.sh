#!/usr/bin/env bash
# Service speed (issue 16, item 7): requests/s and p50/p99 latency of the
# read paths through the real server, with wrk (Debian package, installed
# here if missing), 200 connections:
#   - GET /health                 no access gate: the server's own floor;
#   - GET /api/v1/acts/{id}/pdf   sealed PDF, 200 (token + access gate + store read);
#   - GET …/pdf + If-None-Match   304 (token + access gate + cached sealed facts);
#   - GET /api/v1/acts/{id}       the act's view;
#   - GET /api/v1/search?q=…      a two-word search within the caller's scope.
# The gap between /health and the 304 is the per-request cost of the bearer
# token check and the access gate.
#
# Usage: scripts/bench-http.sh [seconds per run, default 10]
# Env: BENCH_BIN (default target/release/acta, built if missing),
#      CONNECTIONS (200), THREADS (2).
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION="${1:-10}"
CONNECTIONS="${CONNECTIONS:-200}"
THREADS="${THREADS:-2}"
BIN="${BENCH_BIN:-target/release/acta}"

if ! command -v wrk >/dev/null; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null
fi
if [ ! -x "$BIN" ]; then
    cargo build --release --bin acta
fi

DATA="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
# The benchmark's own server: stopped by its pid, whatever happens.
RUST_LOG=error "$BIN" --data-dir "$DATA" serve --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 600); do
    curl -fsS "$BASE/health" >/dev/null 2>&1 && break
    sleep 0.1
done

SIREN=216295105
ADMIN="$("$BIN" --data-dir "$DATA" tokens create --role admin | tail -n1)"
# The reads go through a secrétaire's scoped token: the common caller, and
# the one whose scope the gate checks.
TOKEN="$("$BIN" --data-dir "$DATA" tokens create --role secretaire --collectivite "$SIREN" | tail -n1)"
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
ID="$(curl -fsS -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    --data-binary @fixtures/acts/arrete-avancement-echelon.json "$BASE/api/v1/acts" | json_field id)"
SHA="$(curl -fsS -X POST -H "Authorization: Bearer $ADMIN" "$BASE/api/v1/acts/$ID/seal" | json_field sha256)"
SIZE="$(curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/acts/$ID/pdf" | wc -c)"
# The search index commits in the background: wait for the act.
for _ in $(seq 100); do
    curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/search?q=avancement%20echelon" \
        | grep -q "$ID" && break
    sleep 0.1
done

echo "acta $("$BIN" --version 2>/dev/null || echo "$BIN") — $CONNECTIONS connections, $THREADS wrk threads, ${DURATION}s per run; sealed PDF of $SIZE bytes"
printf '%-28s %12s %10s %10s %8s\n' "request" "req/s" "p50" "p99" "non-2xx"
run() {
    local name="$1"; shift
    local out
    out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")"
    local rps p50 p99 bad
    rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
    p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    bad="$(awk '/Non-2xx or 3xx/ {print $5}' <<<"$out")"
    printf '%-28s %12s %10s %10s %8s\n' "$name" "$rps" "$p50" "$p99" "${bad:-0}"
}
AUTH=(-H "Authorization: Bearer $TOKEN")
run "GET /health" "$BASE/health"
run "GET pdf (200)" "${AUTH[@]}" "$BASE/api/v1/acts/$ID/pdf"
run "GET pdf If-None-Match (304)" "${AUTH[@]}" -H "If-None-Match: \"$SHA\"" "$BASE/api/v1/acts/$ID/pdf"
run "GET act" "${AUTH[@]}" "$BASE/api/v1/acts/$ID"
run "GET search" "${AUTH[@]}" "$BASE/api/v1/search?q=avancement%20echelon"
