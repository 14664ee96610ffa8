#!/usr/bin/env bash
# Times the staff's queue pages (server-rendered) over a generated population on PostgreSQL:
# generates N people (1 % with a certification request in the chain), starts the release
# server on that database and runs server/examples/load_queues.rs.
# Usage: bash docs/load/queues.sh [people]
set -euo pipefail
cd "$(dirname "$0")/../.."
PEOPLE="${1:-1000000}"
[ -x target/release/server ] || { echo "build first: bash .ci/demo (or .ci/test)"; exit 2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canbao/target}"
cargo build -q --release -p server --example generate --example load_queues
PORT=3919; DB="canbao_queues_$$"
psql postgres://postgres@127.0.0.1:5432/postgres -qc "CREATE DATABASE $DB"
URL="postgres://postgres@127.0.0.1:5432/$DB"
cleanup() {
  [ -n "${PID:-}" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
  psql postgres://postgres@127.0.0.1:5432/postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
}
trap cleanup EXIT
CANBAO_TODAY=2022-12-25 "$CARGO_TARGET_DIR/release/examples/generate" "$URL" "$PEOPLE"
CANBAO_DEMO=on LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site DATABASE_URL="$URL" CANBAO_TODAY=2022-12-25 \
  CANBAO_PAYMENT_SECRET="load-test-secret" RUST_LOG=warn target/release/server & PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.1; done
"$CARGO_TARGET_DIR/release/examples/load_queues" "http://127.0.0.1:$PORT"
