#!/usr/bin/env bash
# The suite's end-to-end smoke run: scripts/bench-e2e --quick (30 markets over the three venues, every sink
# on, 10 client WebSockets, a RabbitMQ consumer, 15 s, debug builds). It fails when a Binance trade in
# PostgreSQL is missing, doubled or different from exchsim's, when a stored trade never reached the RabbitMQ
# consumer, or when no latency sample reached a subscriber or the consumer. Its figures are not checked:
# rates belong to scripts/bench-e2e's full run on a quiet machine (docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CRYPTOD_BIN_DIR:?set CRYPTOD_BIN_DIR to the directory of the built binaries (swift build --show-bin-path)}"
CRYPTOD_BIN_DIR=$CRYPTOD_BIN_DIR exec scripts/bench-e2e --quick
