#!/usr/bin/env bash
# Load test of enrolment with payment on loopback: the release server on PostgreSQL (or
# SQLite with BACKEND=sqlite) with the demo date, and the load generator on the same machine.
# Each iteration: POST /api/v1/enrollments (a new person, as the demo cadre) then the
# signed POST /api/v1/payments/callback for its order.
# Usage: bash docs/load/enrol.sh [seconds] [concurrency]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS="${1:-20}"; CONC="${2:-32}"; BACKEND="${BACKEND:-postgres}"
[ -x target/release/server ] || { echo "build first: bash .ci/demo (or .ci/test)"; exit 2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canbao/target}"
cargo build -q --release -p server --example load_enrol
DIR="$(mktemp -d)"; PORT=3918; SECRET="load-test-secret"
if [ "$BACKEND" = postgres ]; then
  DB="canbao_load_$$"; psql postgres://postgres@127.0.0.1:5432/postgres -qc "CREATE DATABASE $DB"
  URL="postgres://postgres@127.0.0.1:5432/$DB"
else
  URL="sqlite://$DIR/canbao.db"
fi
LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site DATABASE_URL="$URL" CANBAO_TODAY=2022-10-08 \
  CANBAO_PAYMENT_SECRET="$SECRET" RUST_LOG=warn target/release/server & PID=$!
cleanup() {
  kill $PID 2>/dev/null; wait $PID 2>/dev/null || true; rm -rf "$DIR"
  [ "$BACKEND" = postgres ] && psql postgres://postgres@127.0.0.1:5432/postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  true
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.1; done
"$CARGO_TARGET_DIR/release/examples/load_enrol" "http://127.0.0.1:$PORT" "$SECRET" "$SECS" "$CONC"
