#!/usr/bin/env bash
# Service speed (issue 16, item 7): requests/s and p50/p99 latency of the
# read paths through the real server, with wrk, 200 connections, and the
# same bodies served as static files by nginx in the same run (the yardstick:
# acta's rate as a percentage of nginx's):
#   - GET /health                 no access gate: the server's own floor;
#   - GET /api/v1/acts/{id}/pdf   sealed PDF, 200 (token + access gate + the
#                                 PDF, from memory once read); nginx: the same file;
#   - GET …/pdf + If-None-Match   304 (token + access gate + cached sealed facts);
#   - GET /api/v1/acts/{id}       the act's view; nginx: the same JSON as a file;
#   - GET /api/v1/search?q=…      a two-word search within the caller's scope;
#                                 nginx: the same answer as a file.
# The gap between /health and the 304 is the per-request cost of the bearer
# token check and the access gate (printed in microseconds).
# wrk and nginx (nginx-light) are Debian packages, installed here if missing
# (apt-get, as scripts/test.sh does); nginx runs as a plain foreground
# process on its own port, with its files and logs in a temporary directory.
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

NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -x "$NGINX" ] || missing+=(nginx-light)
if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -x "$BIN" ]; then
    cargo build --release --bin acta
fi

DATA="$(mktemp -d)"
NGX="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
SERVER=""
NGINX_PID=""
# The benchmark's own servers: stopped by their pids, whatever happens.
stop() {
    for pid in $SERVER $NGINX_PID; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    rm -rf "$DATA" "$NGX"
}
trap stop EXIT
RUST_LOG=error "$BIN" --data-dir "$DATA" serve --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
SERVER=$!
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

# nginx serves the same bytes as static files: the sealed PDF as acta sends
# it (the stored object), the act's view and the search answer.
mkdir -p "$NGX/www"
curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/acts/$ID/pdf" -o "$NGX/www/act.pdf"
cmp -s "$NGX/www/act.pdf" "$DATA/store/acts/$ID/sealed.pdf" \
    || { echo "the PDF served differs from the stored object" >&2; exit 1; }
curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/acts/$ID" -o "$NGX/www/act.json"
curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/search?q=avancement%20echelon" -o "$NGX/www/search.json"
chmod -R a+rX "$NGX" # nginx's workers run as nobody when started by root
NPORT="$(free_port)"
NBASE="http://127.0.0.1:$NPORT"
cat >"$NGX/nginx.conf" <<CONF
worker_processes auto;
pid $NGX/nginx.pid;
error_log $NGX/error.log error;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    types { application/pdf pdf; application/json json; }
    server {
        listen 127.0.0.1:$NPORT;
        root $NGX/www;
    }
}
CONF
"$NGINX" -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" -g 'daemon off;' >/dev/null 2>&1 &
NGINX_PID=$!
for _ in $(seq 100); do
    curl -fsS "$NBASE/act.pdf" -o /dev/null 2>/dev/null && break
    sleep 0.1
done
cmp -s <(curl -fsS "$NBASE/act.pdf") "$NGX/www/act.pdf" || { echo "nginx does not serve the PDF" >&2; exit 1; }

echo "acta $("$BIN" --version 2>/dev/null || echo "$BIN") — $CONNECTIONS connections, $THREADS wrk threads, ${DURATION}s per run; sealed PDF of $SIZE bytes"
echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), same files, same wrk settings; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %10s %9s %9s %7s | %10s %9s %9s | %7s\n' \
    "request" "acta req/s" "p50" "p99" "non-2xx" "nginx" "p50" "p99" "acta %"
# One wrk run: "req/s p50 p99 non-2xx/3xx".
measure() {
    local out
    out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")"
    awk '/^Requests\/sec/ {rps=$2} $1 == "50%" {p50=$2} $1 == "99%" {p99=$2}
         /Non-2xx or 3xx/ {bad=$5} END {printf "%s %s %s %s\n", rps, p50, p99, bad ? bad : 0}' <<<"$out"
}
# run NAME NGINX_PATH(or -) WRK-ARGS…: acta, then nginx on the same body.
run() {
    local name="$1" static="$2"; shift 2
    local a n pct
    read -r -a a <<<"$(measure "$@")"
    if [ "$static" = - ]; then
        n=(- - -); pct=-
    else
        read -r -a n <<<"$(measure "$NBASE/$static")"
        pct="$(awk -v a="${a[0]}" -v n="${n[0]}" 'BEGIN {printf "%.1f", 100 * a / n}')"
    fi
    printf '%-28s %10s %9s %9s %7s | %10s %9s %9s | %7s\n' \
        "$name" "${a[0]}" "${a[1]}" "${a[2]}" "${a[3]}" "${n[0]}" "${n[1]}" "${n[2]}" "$pct"
    LAST_RPS="${a[0]}"
}
AUTH=(-H "Authorization: Bearer $TOKEN")
run "GET /health" - "$BASE/health"
HEALTH_RPS="$LAST_RPS"
run "GET pdf (200)" act.pdf "${AUTH[@]}" "$BASE/api/v1/acts/$ID/pdf"
run "GET pdf If-None-Match (304)" - "${AUTH[@]}" -H "If-None-Match: \"$SHA\"" "$BASE/api/v1/acts/$ID/pdf"
GATE_RPS="$LAST_RPS"
run "GET act" act.json "${AUTH[@]}" "$BASE/api/v1/acts/$ID"
run "GET search" search.json "${AUTH[@]}" "$BASE/api/v1/search?q=avancement%20echelon"
awk -v h="$HEALTH_RPS" -v g="$GATE_RPS" 'BEGIN {
    printf "token check + access gate: %.1f µs of the machine per request (1/304 − 1/health)\n", 1e6 / g - 1e6 / h }'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
