#!/usr/bin/env bash
# The PostgreSQL peer figure of the search benchmark (issue #6): the same
# fictitious corpus and the same "typical" queries (two words + collectivité +
# year range + facets + snippets) on tantivy (acta) and on PostgreSQL full-text
# search (configuration `french`, GIN index), and the ratio.
#
#   scripts/bench-postgres.sh [COUNT=1000000] [QUERIES=1000]
#
# Installs what it needs (idempotent): Debian's postgresql server, psycopg into
# .tools/venv. Starts a throw-away PostgreSQL cluster on 127.0.0.1 under
# bench-out/, stops it at the end. Figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-1000000}
QUERIES=${2:-1000}
OUT=bench-out/peer
mkdir -p "$OUT"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/postgres" ]; then
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends postgresql
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
[ -x .tools/venv/bin/python ] || python3 -m venv .tools/venv
.tools/venv/bin/python -c 'import psycopg' 2>/dev/null \
  || .tools/venv/bin/pip install --quiet 'psycopg[binary]>=3.2,<3.3'

cargo build --release --quiet
echo "==> tantivy: $COUNT acts"
target/release/acta bench corpus --count "$COUNT" --index "$OUT/index" | tee "$OUT/corpus.txt"
target/release/acta bench search --index "$OUT/index" --queries "$QUERIES" | tee "$OUT/tantivy.txt"
target/release/acta bench peer-export --count "$COUNT" --queries "$QUERIES" --out "$OUT" >/dev/null

echo "==> PostgreSQL ($("$PGBIN/postgres" --version))"
PGDATA=$(mktemp -d /tmp/acta-pg-XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# PostgreSQL refuses to run as root: use its own system user when we are root.
run_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$PGDATA"
run_pg "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
stop() { run_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true; rm -rf "$PGDATA"; }
trap stop EXIT
run_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/log" -w start \
  -o "-p $PORT -k $PGDATA -c listen_addresses=127.0.0.1 -c shared_buffers=256MB -c maintenance_work_mem=512MB -c max_parallel_workers_per_gather=2" >/dev/null
.tools/venv/bin/python scripts/bench_postgres.py \
  --dsn "host=127.0.0.1 port=$PORT user=postgres dbname=postgres" \
  --dir "$OUT" --tantivy "$OUT/tantivy.txt"
