#!/usr/bin/env bash
# The suite's short chaos run: scripts/chaos --quick (kill -9 of the writer and of the gateway under a live
# feed with every sink on), then its checks: PostgreSQL trades and closed 1m candles equal exchsim's truth,
# every stored trade reached a RabbitMQ consumer, every book equals /_sim/book at its update id, no 418.
# scripts/chaos without --quick runs every fault; see its header.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CRYPTOD_BIN_DIR:?set CRYPTOD_BIN_DIR to the directory of the built binaries (swift build --show-bin-path)}"
CRYPTOD_BIN_DIR=$CRYPTOD_BIN_DIR exec scripts/chaos --quick
