#!/usr/bin/env bash
# Fuzzes the gateway's client WebSocket (Tests/wsfuzz/fuzz.py) against a running cryptod (exchsim, one
# Binance ingestor, the gateway; scripts/lib/gateway-stack.sh): generated JSON over the request vocabulary,
# mutated valid requests, truncated JSON, garbage, binary frames, deep nesting, requests over the size limit,
# too many topics, bursts. Every frame must be answered or refused with a close code that says why, and the
# gateway must stay up and keep serving live data. FUZZ_CASES (default 300 connections), FUZZ_SEED.
set -uo pipefail
SCRIPT_NAME=ws_fuzz
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
source "$CHECKOUT/scripts/lib/gateway-stack.sh"
cd "$CHECKOUT"
python=$(ensure_bench_venv)
bin_dir=${CRYPTOD_BIN_DIR:-$(swift build --show-bin-path 2>/dev/null)}
for binary in cryptod cryptod-gateway cryptod-ingestor cryptod-writer exchsim; do
  [ -x "$bin_dir/$binary" ] || fail "$bin_dir/$binary is missing: build first (swift build)"
done
work=$(mktemp -d /tmp/cryptod-wsfuzz.XXXXXX)
trap 'stop_gateway_stack; rm -rf "$work"' EXIT
unset GATEWAY_POSTGRES_URL
start_gateway_stack "$bin_dir" "$work"
say "cryptod serves a live ticker at $GATEWAY_URL; fuzzing $GATEWAY_WS_URL"
"$python" Tests/wsfuzz/fuzz.py "$GATEWAY_WS_URL" "$GATEWAY_URL" "${FUZZ_CASES:-300}" \
  || { tail -30 "$work/cryptod.log" >&2; fail "the WebSocket fuzzing failed (above; gateway log tail after it)"; }
grep -E 'fatal|Fatal error|crash' "$work/cryptod.log" && fail "the gateway log reports a crash (above)"
exit 0
