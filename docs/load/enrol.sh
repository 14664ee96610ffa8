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
CANBAO_DEMO=on LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site DATABASE_URL="$URL" CANBAO_TODAY=2022-10-08 \
  CANBAO_PAYMENT_SECRET="$SECRET" RUST_LOG=warn target/release/server & PID=$!
cleanup() {
  kill $PID 2>/dev/null; wait $PID 2>/dev/null || true; rm -rf "$DIR"
  [ "$BACKEND" = postgres ] && psql postgres://postgres@127.0.0.1:5432/postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  true
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.1; done
# Where the CPU goes: CPU seconds of PostgreSQL (every postgres process), the server and the
# load generator during the run, from /proc (utime + stime, in clock ticks).
ticks() { local t=0; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $t; }
pg_pids() { pgrep -x postgres || true; }
declare -A PG0; for p in $(pg_pids); do PG0[$p]=$(ticks "$p"); done
SERVER0=$(ticks $PID); WALL0=$(date +%s.%N)
"$CARGO_TARGET_DIR/release/examples/load_enrol" "http://127.0.0.1:$PORT" "$SECRET" "$SECS" "$CONC" & GEN=$!
GEN_TICKS=0
while kill -0 $GEN 2>/dev/null; do t=$(ticks $GEN); [ "$t" -gt 0 ] && GEN_TICKS=$t; sleep 0.2; done
wait $GEN
WALL=$(awk -v a="$WALL0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}')
PG=0; for p in $(pg_pids); do PG=$((PG + $(ticks "$p") - ${PG0[$p]:-0})); done
SERVER=$(( $(ticks $PID) - SERVER0 )); HZ=$(getconf CLK_TCK)
secs() { awk -v t="$1" -v hz="$HZ" 'BEGIN {printf "%.1f", t / hz}'; }
echo "CPU over $WALL s of $(nproc) cores: postgres $(secs $PG) s, server $(secs $SERVER) s," \
  "load generator $(secs $GEN_TICKS) s (read up to 0.2 s before it ended)"
