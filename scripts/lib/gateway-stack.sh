# Shared by Tests/scripts/gateway_api.sh and scripts/bench-gateway: starts exchsim on ephemeral loopback
# ports and cryptod with one Binance ingestor, the gateway and a jsonl writer in a private directory, and
# waits until the gateway serves a live ticker. Source after common.sh; call start_gateway_stack BIN_DIR WORK.
# Sets GATEWAY_URL (REST) and GATEWAY_WS_URL; stop_gateway_stack stops what it started (register it with trap). With
# GATEWAY_POSTGRES_URL set, the writer also stores into that database and the gateway reads history from it;
# GATEWAY_BINANCE_EXTRA holds more TOML lines for [exchanges.binance] (e.g. an API key), GATEWAY_EXTRA for
# [gateway].

gateway_stack_pids=()

stop_gateway_stack() {
  local pid
  for pid in "${gateway_stack_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${gateway_stack_pids[@]}"; do
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  gateway_stack_pids=()
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start_gateway_stack() {
  local bin_dir=$1 work=$2 rest ws binance
  mkdir -p "$work"
  "$bin_dir/exchsim" --host 127.0.0.1 --port binance=0 --port bybit=0 --port whitebit=0 --seed 42 \
    --ready-file "$work/exchsim.json" --log-level warning > "$work/exchsim.log" 2>&1 &
  gateway_stack_pids+=($!)
  for _ in $(seq 300); do [ -s "$work/exchsim.json" ] && break; sleep 0.1; done
  [ -s "$work/exchsim.json" ] || { cat "$work/exchsim.log" >&2; fail "exchsim did not start"; }
  binance=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["binance"] if isinstance(d["binance"], int) else d["binance"]["port"])' "$work/exchsim.json") \
    || fail "cannot read the Binance port from $work/exchsim.json: $(cat "$work/exchsim.json")"
  rest=$(free_port)
  ws=$(free_port)
  cat > "$work/cryptod.toml" <<TOML
[daemon]
runtime_dir = "run"
state_dir = "lib"
log_level = "warning"
log_format = "text"
[gateway]
rest_listen = "127.0.0.1:$rest"
ws_listen = "127.0.0.1:$ws"
admin_token = "${GATEWAY_ADMIN_TOKEN:-gateway-check-token}"
rate_limit = 1000000
rate_burst = 1000000
${GATEWAY_EXTRA:-}
[writer]
$(if [ -n "${GATEWAY_POSTGRES_URL:-}" ]; then
    printf 'sinks = ["jsonl", "postgres"]\npostgres_url = "%s"\n' "$GATEWAY_POSTGRES_URL"
  else
    printf 'sinks = ["jsonl"]\npostgres_url = "postgresql://nobody@127.0.0.1:1/none"\n'
  fi)
[scheduler]
enabled = false
[exchanges.binance]
rest_url = "http://127.0.0.1:$binance"
ws_url = "ws://127.0.0.1:$binance"
markets = ["BTCUSDT"]
${GATEWAY_BINANCE_EXTRA:-}
[exchanges.bybit]
enabled = false
[exchanges.whitebit]
enabled = false
TOML
  "$bin_dir/cryptod" --config "$work/cryptod.toml" > "$work/cryptod.log" 2>&1 &
  gateway_stack_pids+=($!)
  GATEWAY_URL=http://127.0.0.1:$rest
  GATEWAY_WS_URL=ws://127.0.0.1:$ws/
  wait_for_http "$GATEWAY_URL/api/v1/exchanges/binance/ticker/BTCUSDT" 120 \
    || { tail -30 "$work/cryptod.log" >&2; fail "the gateway served no ticker within 120 s (log: $work/cryptod.log)"; }
}
