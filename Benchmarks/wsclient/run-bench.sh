#!/usr/bin/env bash
# WSClient vs raw NIOWebSocket on the same exchsim streams: frames per CPU-second of the client process.
# Release build in .build-release (shared with scripts/bench-exchsim and scripts/bench-ingest). exchsim runs
# on CPU 0 with a depth load (one diff per update) on every built-in market; the client on CPU 1.
#
#   Benchmarks/wsclient/run-bench.sh [SECONDS_PER_PHASE]     (default 5; four phases, alternating)
#
# Environment: DEPTH (generated depth messages/s, default 400000: above what a client reads, so the client
# is the bottleneck), SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/common.sh
SECONDS_PER_PHASE=${1:-5}
DEPTH=${DEPTH:-400000}
SCRATCH=.build-release
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    build_release_products "$SCRATCH" exchsim WSClientBench
fi
WORK=$(mktemp -d /tmp/bench-wsclient.XXXXXX)
SIM=""
cleanup() {
    if [[ -n "$SIM" ]] && kill -0 "$SIM" 2>/dev/null; then kill -TERM "$SIM"; wait "$SIM" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
PIN0=()
PIN1=()
if command -v taskset >/dev/null && [[ $(nproc) -ge 2 ]]; then
    PIN0=(taskset -c 0)
    PIN1=(taskset -c 1)
fi
"${PIN0[@]}" "$SCRATCH/release/exchsim" --venue binance --port binance=0 --ready-file "$WORK/ready.json" \
    --time-scale 0 --threads 1 --load "binance:depth=$DEPTH" --log-level warning &
SIM=$!
for _ in $(seq 1 100); do [[ -s "$WORK/ready.json" ]] && break; sleep 0.1; done
PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["binance"])' "$WORK/ready.json")
STREAMS=$(python3 -c 'import json,sys,urllib.request
m=json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_sim/markets"))
print("/".join(x["symbol"].lower() + "@depth@100ms" for x in m))' "$PORT")
echo "wsclient bench: exchsim --load binance:depth=$DEPTH on CPU 0 (${PIN0[*]:-unpinned}), client on CPU 1, one connection, $SECONDS_PER_PHASE s per phase"
"${PIN1[@]}" "$SCRATCH/release/WSClientBench" "$PORT" "/ws/$STREAMS" "$SECONDS_PER_PHASE"
