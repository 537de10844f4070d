#!/usr/bin/env bash
# Checks the gateway's REST API from outside, against a running cryptod (exchsim, one Binance ingestor,
# the gateway; scripts/lib/gateway-stack.sh):
#   1. docs/openapi.json is a valid OpenAPI 3.1 document (openapi-spec-validator);
#   2. the running gateway's /openapi.json equals it;
#   3. schemathesis, driven by /openapi.json, finds no 5xx and no response that breaks its schema (with
#      the admin token, so the admin routes are exercised too);
#   4. /metrics passes `promtool check metrics` (Debian package prometheus), except for its note that
#      swift-metrics families have no HELP text;
#   5. a WebSocket client's book (snapshot, then every delta, Tests/gateway/book_check.py) equals the REST
#      order book at the same update id, five times over, with deltas applied in between.
#
#   Tests/scripts/gateway_api.sh        (exit 0 = every check passed)
#
# The Python tools live in var/gateway-venv (Tests/gateway/requirements.txt, from PyPI), reused while the
# requirements and the Python version are unchanged. Binaries: $CRYPTOD_BIN_DIR, else the debug build.
set -uo pipefail
SCRIPT_NAME=gateway_api
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
source "$CHECKOUT/scripts/lib/gateway-stack.sh"
cd "$CHECKOUT"
venv=$CHECKOUT/var/gateway-venv
requirements=$CHECKOUT/Tests/gateway/requirements.txt
started=$(date +%s)

# MARK: - Tools

stamp="$(sha256sum "$requirements" | cut -d' ' -f1) $(python3 -c 'import sys; print(sys.version.split()[0])')"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements.stamp" 2>/dev/null)" = "$stamp" ]; then
  say "reusing $venv"
else
  say "creating $venv and installing Tests/gateway/requirements.txt from PyPI"
  rm -rf "$venv"
  mkdir -p "$CHECKOUT/var"
  python3 -m venv "$venv" || fail "could not create the venv in $venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off -r "$requirements" \
    > "$CHECKOUT/var/gateway-pip.log" 2>&1 \
    || { tail -15 "$CHECKOUT/var/gateway-pip.log" >&2; rm -rf "$venv"; fail "pip install failed (var/gateway-pip.log)"; }
  echo "$stamp" > "$venv/.requirements.stamp"
fi
command -v promtool >/dev/null 2>&1 || install_packages prometheus
command -v promtool >/dev/null 2>&1 || fail "promtool is missing after installing the prometheus package"

# MARK: - 1. The committed document

"$venv/bin/openapi-spec-validator" docs/openapi.json || fail "docs/openapi.json is not a valid OpenAPI document"
say "docs/openapi.json is a valid OpenAPI document"

# MARK: - The service

bin_dir=${CRYPTOD_BIN_DIR:-$(swift build --show-bin-path 2>/dev/null)}
for binary in cryptod cryptod-gateway cryptod-ingestor cryptod-writer exchsim; do
  [ -x "$bin_dir/$binary" ] || fail "$bin_dir/$binary is missing: build first (swift build)"
done
work=$(mktemp -d /tmp/cgw-api.XXXXXX)
trap 'stop_gateway_stack; rm -rf "$work"' EXIT
export GATEWAY_ADMIN_TOKEN=gateway-check-token
# History needs PostgreSQL (scripts/test provides one); without it the ohlcv route can only answer 503.
export GATEWAY_POSTGRES_URL=${CRYPTOD_TEST_DATABASE_URL:-}
excluded=(--exclude-operation-id verifyKey)
if [ -z "$GATEWAY_POSTGRES_URL" ]; then
  say "CRYPTOD_TEST_DATABASE_URL is not set: the ohlcv route is left out of the schemathesis run"
  excluded+=(--exclude-operation-id ohlcv)
fi
start_gateway_stack "$bin_dir" "$work"
say "cryptod serves a live ticker at $GATEWAY_URL"

# MARK: - 5. The WebSocket book is the REST book (first: schemathesis then calls the admin routes, stop included)

"$venv/bin/python" Tests/gateway/book_check.py "$GATEWAY_WS_URL" "$GATEWAY_URL" binance BTCUSDT 90 \
  || fail "the book a WebSocket client keeps is not the REST book (Tests/gateway/book_check.py)"

# MARK: - 2. The served document

curl -sf "$GATEWAY_URL/openapi.json" -o "$work/served.json" || fail "GET /openapi.json failed"
python3 - "$work/served.json" docs/openapi.json <<'PY' || fail "the served /openapi.json differs from docs/openapi.json"
import json, sys
served, committed = (json.load(open(path)) for path in sys.argv[1:3])
sys.exit(0 if served == committed else 1)
PY

# MARK: - 3. schemathesis

# Not-a-server-error and schema conformance of every documented response; the admin token is sent so
# the admin routes run their handlers, and the key check is left out (it would ask the exchange).
if ! timeout 900 "$venv/bin/schemathesis" run "$GATEWAY_URL/openapi.json" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --header "Authorization: Bearer $GATEWAY_ADMIN_TOKEN" "${excluded[@]}" \
  --max-examples 25 --workers 2 --suppress-health-check all > "$work/schemathesis.log" 2>&1; then
  tail -60 "$work/schemathesis.log" >&2
  cp "$work/schemathesis.log" "$CHECKOUT/var/gateway-schemathesis.log"
  fail "schemathesis found failures (var/gateway-schemathesis.log)"
fi
tail -5 "$work/schemathesis.log"
say "schemathesis: no server error, every response matches its schema"

# MARK: - 4. promtool

curl -sf "$GATEWAY_URL/metrics" -o "$work/metrics.txt" || fail "GET /metrics failed"
grep -q '^cryptod_gateway_http_requests_total{' "$work/metrics.txt" || fail "/metrics has no request counters"
# Families made through swift-metrics have no HELP text (its API has none); promtool lists each as
# "no help text". Every other finding (a parse error, a bad name or type, a counter without _total) fails.
promtool check metrics < "$work/metrics.txt" > "$work/promtool.log" 2>&1
problems=$(grep -v ' no help text$' "$work/promtool.log" || true)
[ -z "$problems" ] || { echo "$problems" >&2; fail "promtool check metrics found problems in /metrics"; }
say "promtool check metrics: no problem besides $(grep -c ' no help text$' "$work/promtool.log") families without help text"
say "all gateway API checks passed in $(( $(date +%s) - started )) s"
