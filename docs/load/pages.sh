#!/usr/bin/env bash
# Times the resident-facing pages (server-rendered, as a phone without JavaScript gets them)
# on the embedded default: the release server with a fresh SQLite demo database (as .ci/demo:
# 3,000 residents, the demo date) and server/examples/load_pages.rs on the same machine.
# Usage: bash docs/load/pages.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-101}"
[ -x target/release/server ] || { echo "build first: bash .ci/demo (or .ci/test)"; exit 2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canbao/target}"
cargo build -q --release -p server --example load_pages
DIR="$(mktemp -d)"; PORT=3920
CANBAO_DEMO=on LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site DATABASE_URL="sqlite://$DIR/canbao.db" \
  CANBAO_TODAY=2022-10-08 CANBAO_DEMO_POPULATION=3000 RUST_LOG=warn target/release/server & PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.1; done
"$CARGO_TARGET_DIR/release/examples/load_pages" "http://127.0.0.1:$PORT" "$RUNS"
