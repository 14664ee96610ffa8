#!/usr/bin/env bash
# Load test of POST /api/v1/quote on loopback: the release server with a fresh SQLite
# database, wrk on the same machine. Usage: bash docs/load/quote.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS="${1:-20}"; CONNS="${2:-64}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
[ -x target/release/server ] || { echo "build first: bash .ci/demo (or .ci/test)"; exit 2; }
DIR="$(mktemp -d)"; PORT=3917
CANBAO_DEMO=on LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site DATABASE_URL="sqlite://$DIR/canbao.db" \
  RUST_LOG=warn target/release/server & PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.1; done
curl -sf -X POST -H 'Content-Type: application/json' --data @<(sed -n 's/^wrk.body = \[\[\(.*\)\]\]$/\1/p' docs/load/quote.lua) \
  "http://127.0.0.1:$PORT/api/v1/quote" | grep -q '"personal_due":"70.00"' || { echo "quote answer is wrong"; exit 1; }
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s docs/load/quote.lua "http://127.0.0.1:$PORT/api/v1/quote"
