#!/usr/bin/env bash
# Times a department list (dry run + apply) through the API on loopback: the release
# server on PostgreSQL (or SQLite with BACKEND=sqlite), N additions of new people.
# Usage: bash docs/load/lists.sh [rows] [csv|xlsx]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS="${1:-100000}"; KIND="${2:-xlsx}"; BACKEND="${BACKEND:-postgres}"
[ -x target/release/server ] || { echo "build first: bash .ci/demo (or .ci/test)"; exit 2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canbao/target}"
cargo build -q --release -p server --example load_lists
DIR="$(mktemp -d)"; PORT=3918; SECRET="load-test-secret"
if [ "$BACKEND" = postgres ]; then
  DB="canbao_load_$$"; psql postgres://postgres@127.0.0.1:5432/postgres -qc "CREATE DATABASE $DB"
  URL="postgres://postgres@127.0.0.1:5432/$DB"
else
  URL="sqlite://$DIR/canbao.db"
fi
CANBAO_DEMO=on LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site DATABASE_URL="$URL" CANBAO_TODAY=2022-10-08 \
  CANBAO_PAYMENT_SECRET="$SECRET" RUST_LOG=${RUST_LOG:-warn} target/release/server & PID=$!
cleanup() {
  kill $PID 2>/dev/null; wait $PID 2>/dev/null || true; rm -rf "$DIR"
  [ "$BACKEND" = postgres ] && psql postgres://postgres@127.0.0.1:5432/postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  true
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.1; done
"$CARGO_TARGET_DIR/release/examples/load_lists" "http://127.0.0.1:$PORT" "$ROWS" "$KIND"
