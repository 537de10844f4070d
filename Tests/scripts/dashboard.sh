#!/usr/bin/env bash
# Checks the web dashboard (/dashboard) in a real browser, against a running cryptod (exchsim, one Binance
# ingestor, the gateway; scripts/lib/gateway-stack.sh): headless Chromium (Debian's chromium, installed if
# missing) loads the page, lets it run on live data, and Tests/dashboard/check.py compares what it shows
# (connected exchanges, the ticker's last price, WebSocket clients, health score, "not available" panels)
# with what the REST endpoints answer at the same moment. The screenshot and the rendered DOM are kept:
#
#   var/dashboard.png, var/dashboard.html
#
#   Tests/scripts/dashboard.sh        (exit 0 = the page matches REST)
#
# Binaries: $CRYPTOD_BIN_DIR, else the debug build.
set -uo pipefail
SCRIPT_NAME=dashboard
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
source "$CHECKOUT/scripts/lib/gateway-stack.sh"
cd "$CHECKOUT"
started=$(date +%s)

command -v chromium >/dev/null 2>&1 || install_packages chromium
command -v chromium >/dev/null 2>&1 || fail "chromium is missing after installing the Debian package chromium"

bin_dir=${CRYPTOD_BIN_DIR:-$(swift build --show-bin-path 2>/dev/null)}
for binary in cryptod cryptod-gateway cryptod-ingestor cryptod-writer exchsim; do
  [ -x "$bin_dir/$binary" ] || fail "$bin_dir/$binary is missing: build first (swift build)"
done
work=$(mktemp -d /tmp/cgw-dashboard.XXXXXX)
trap 'stop_gateway_stack; rm -rf "$work"' EXIT
export GATEWAY_ADMIN_TOKEN=dashboard-check-token
# With PostgreSQL (scripts/test provides one) the candle chart starts from stored history.
export GATEWAY_POSTGRES_URL=${CRYPTOD_TEST_DATABASE_URL:-}
start_gateway_stack "$bin_dir" "$work"
say "cryptod serves a live ticker at $GATEWAY_URL"

# The page itself, before any browser: served as HTML with its policy, assets with their types.
headers=$(curl -sf -D - -o "$work/page.html" "$GATEWAY_URL/dashboard") || fail "GET /dashboard failed"
grep -qi '^content-type: text/html; charset=utf-8' <<<"$headers" || fail "/dashboard is not text/html: $headers"
grep -qi "^content-security-policy: .*script-src 'self'" <<<"$headers" || fail "/dashboard has no script policy"
for asset in dashboard.js charts.js dashboard.css; do
  type=$(curl -sf -o /dev/null -w '%{content_type}' "$GATEWAY_URL/dashboard/assets/$asset") \
    || fail "GET /dashboard/assets/$asset failed"
  case $asset:$type in
    *.js:text/javascript*|*.css:text/css*) ;;
    *) fail "/dashboard/assets/$asset is served as $type" ;;
  esac
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$GATEWAY_URL/dashboard/assets/nothing.js")" = 404 ] \
  || fail "an unknown dashboard asset does not answer 404"

mkdir -p var
python3 Tests/dashboard/check.py --gateway "$GATEWAY_URL" --token "$GATEWAY_ADMIN_TOKEN" \
  --screenshot var/dashboard.png --dom var/dashboard.html --settle 12
status=$?
[ -s var/dashboard.png ] && say "screenshot: $CHECKOUT/var/dashboard.png (DOM: $CHECKOUT/var/dashboard.html)"
[ "$status" = 0 ] || { tail -20 "$work/cryptod.log" >&2; fail "the dashboard does not show what REST answers"; }
say "dashboard checks passed in $(( $(date +%s) - started )) s"
