#!/usr/bin/env bash
# Security pass against a running cryptod (exchsim, one Binance ingestor with an API key, the gateway, a
# jsonl writer; scripts/lib/gateway-stack.sh):
#   1. every socket a cryptod process listens on is loopback (127.0.0.0/8 or ::1);
#   2. the runtime directory is owner-only and so is every Unix socket in it;
#   3. admin routes refuse a request without the token, and one with a wrong token;
#   4. neither the API secret nor the admin token appears in the log, /api/v1/status, /api/v1/admin/status,
#      /metrics, `cryptoctl status` or an error answer;
#   5. a request body over the limit is refused (413) and a malformed one gets a 400 naming the problem,
#      and the gateway still answers afterwards.
# The fuzzed REST run (schemathesis) is Tests/scripts/gateway_api.sh; the WebSocket fuzz is a Swift test.
set -uo pipefail
SCRIPT_NAME=security
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
source "$CHECKOUT/scripts/lib/gateway-stack.sh"
cd "$CHECKOUT"
bin_dir=${CRYPTOD_BIN_DIR:-$(swift build --show-bin-path)}
work=$(mktemp -d /tmp/cryptod-security.XXXXXX)
trap 'stop_gateway_stack; rm -rf "$work"' EXIT
key=ExchsimTestApiKey00000000000000000000000000000000000000000000001
secret=ExchsimTestSecret00000000000000000000000000000000000000000000001
token=security-pass-admin-token-4b1d
export GATEWAY_ADMIN_TOKEN=$token
export GATEWAY_BINANCE_EXTRA="api_key = \"$key\"
api_secret = \"$secret\""
chmod 0600 "$work/cryptod.toml" 2>/dev/null || true
start_gateway_stack "$bin_dir" "$work"
failures=0
check() {
  local what=$1; shift
  if "$@"; then say "ok: $what"; else say "FAIL: $what"; failures=$((failures + 1)); fi
}

# The cryptod supervisor and its children (exchsim is the stand-in exchange, not ours).
daemon=${gateway_stack_pids[1]}
family=$daemon
for pid in $(ps -eo pid=,ppid= | awk -v p="$daemon" '$2 == p { print $1 }'); do family="$family $pid"; done
listening=$(ss -Hltnp 2>/dev/null | awk '{ print $4, $NF }')
ours=""
for pid in $family; do ours+=$(grep -E "pid=$pid," <<<"$listening" || true)$'\n'; done
say "cryptod listens on: $(awk 'NF { print $1 }' <<<"$ours" | tr '\n' ' ')"
check "cryptod listens on at least one TCP socket" grep -q . <<<"$(awk 'NF' <<<"$ours")"
check "every TCP socket cryptod listens on is loopback" \
  bash -c '! awk "NF { print \$1 }" <<<"$1" | grep -vE "^(127\.[0-9.]+|\[::1\]):[0-9]+$"' _ "$ours"

run=$work/run
check "the runtime directory is owner-only" [ "$(stat -c %a "$run")" = 700 ]
sockets=$(find "$run" -type s)
check "the runtime directory holds the processes' sockets" [ -n "$sockets" ]
for socket in $sockets; do
  check "$(basename "$socket") is owner-only" bash -c '[ $(( 8#$(stat -c %a "$1") & 8#077 )) = 0 ]' _ "$socket"
done

status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
for route in "GET /api/v1/admin/status" "GET /api/v1/admin/alerts" "POST /api/v1/admin/performance/config" \
             "POST /api/v1/admin/emergency" "POST /api/v1/stream/throttle"; do
  method=${route%% *} path=${route#* }
  check "$route without a token is refused (401)" [ "$(status_of -X "$method" "$GATEWAY_URL$path")" = 401 ]
  check "$route with a wrong token is refused (401)" \
    [ "$(status_of -X "$method" -H 'Authorization: Bearer wrong' "$GATEWAY_URL$path")" = 401 ]
done
check "GET /api/v1/admin/status with the token answers 200" \
  [ "$(status_of -H "Authorization: Bearer $token" "$GATEWAY_URL/api/v1/admin/status")" = 200 ]

head -c 200000 /dev/zero | tr '\0' x > "$work/big.json"
check "a 200 kB body is refused with 413 (gateway.max_body is 64 KiB)" \
  [ "$(status_of -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        --data-binary @"$work/big.json" "$GATEWAY_URL/api/v1/stream/process")" = 413 ]
bad=$(curl -s -w ' %{http_code}' -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        --data-binary '{"events": [' "$GATEWAY_URL/api/v1/stream/process")
check "a malformed JSON body gets a 400 that says what is wrong (got: ${bad:0:160})" \
  bash -c '[[ "$1" == *" 400" && "$1" == *"\"error\""* ]]' _ "$bad"
check "the gateway still answers after the refused requests" \
  [ "$(status_of "$GATEWAY_URL/api/v1/exchanges/binance/ticker/BTCUSDT")" = 200 ]

# Everything an operator or a client can read, after a run that used the key (the ingestor verified it).
{
  curl -s "$GATEWAY_URL/api/v1/status"
  curl -s -H "Authorization: Bearer $token" "$GATEWAY_URL/api/v1/admin/status"
  curl -s "$GATEWAY_URL/metrics"
  curl -s -X POST -H 'Authorization: Bearer wrong' "$GATEWAY_URL/api/v1/admin/emergency"
  curl -s "$GATEWAY_URL/api/v1/exchanges/binance/ticker/NOPE"
  "$bin_dir/cryptoctl" --config "$work/cryptod.toml" status 2>&1
  "$bin_dir/cryptod" --check-config "$work/cryptod.toml" 2>&1
} > "$work/readable.txt"
stop_gateway_stack # the log is complete once the processes have stopped
cat "$work/cryptod.log" >> "$work/readable.txt"
check "what was read is not empty ($(wc -c < "$work/readable.txt") bytes)" [ "$(wc -c < "$work/readable.txt")" -gt 1000 ]
check "the API secret appears nowhere" bash -c '! grep -qF "$1" "$2"' _ "$secret" "$work/readable.txt"
check "the admin token appears nowhere" bash -c '! grep -qF "$1" "$2"' _ "$token" "$work/readable.txt"
check "no secret part longer than 12 characters appears" bash -c '! grep -qF "${1:0:12}0000000000000" "$2"' _ "$secret" "$work/readable.txt"

if [ $failures -gt 0 ]; then fail "$failures security checks failed"; fi
say "every security check passed"
