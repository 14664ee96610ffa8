#!/usr/bin/env bash
# Static files against /api/v1/health in one run (issue 25 §1): the release server with a
# fresh SQLite database, wrk on loopback (2 threads, 32 connections), then the bytes each
# encoding sends and a revalidation. Usage: bash docs/load/static.sh [seconds] [binary]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS="${1:-10}"; BIN="${2:-target/release/server}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
[ -x "$BIN" ] || { echo "build first: bash .ci/demo (or .ci/test)"; exit 2; }
DIR="$(mktemp -d)"; PORT=3921
CANBAO_DEMO=on LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site DATABASE_URL="sqlite://$DIR/canbao.db" \
  RUST_LOG=warn "$BIN" & PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.1; done
URL="http://127.0.0.1:$PORT"
for path in /api/v1/health /favicon.svg /pkg/canbao.css /pkg/canbao.js; do
  printf '%-18s ' "$path"
  wrk -t2 -c32 -d"${SECS}s" -H 'Accept-Encoding: br, gzip' "$URL$path" \
    | awk '/Latency/ {lat=$2} /Requests\/sec/ {print $2 " req/s, mean latency " lat}'
done
printf '%-18s ' /pkg/canbao.wasm
wrk -t2 -c32 -d"${SECS}s" -H 'Accept-Encoding: br' "$URL/pkg/canbao.wasm" \
  | awk '/Latency/ {lat=$2} /Requests\/sec/ {print $2 " req/s (brotli), mean latency " lat}'
echo
for path in /pkg/canbao.wasm /pkg/canbao.js /pkg/canbao.css /; do
  raw=$(curl -s -o /dev/null -w '%{size_download}' "$URL$path")
  br=$(curl -s -o /dev/null -w '%{size_download}' -H 'Accept-Encoding: br' "$URL$path")
  gz=$(curl -s -o /dev/null -w '%{size_download}' -H 'Accept-Encoding: gzip' "$URL$path")
  printf '%-18s identity %8s B  brotli %8s B  gzip %8s B\n' "$path" "$raw" "$br" "$gz"
done
etag=$(curl -sI "$URL/pkg/canbao.wasm" | awk -F': ' 'tolower($1)=="etag" {print $2}' | tr -d '\r')
echo "revalidation of /pkg/canbao.wasm with If-None-Match $etag: $(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/pkg/canbao.wasm")"
