#!/usr/bin/env bash
# Induces alerts against the real stack and checks they fire, resolve and are notified exactly once:
#   exchsim, cryptod (gateway, writer with jsonl + PostgreSQL, one Binance ingestor), a local webhook
#   receiver (Python http.server) and a local SMTP server (PyPI aiosmtpd, venv var/alerts-venv);
#   the writer reaches PostgreSQL through a TCP forwarder that the test stops and starts again. cryptod runs in a cgroup of its own (v2 where its root delegates
#   memory and cpu, else v1's memory and cpu hierarchies) whose limits cases 8 and 9 lower.
#   alerts.range_cap = 2m shortens the rules' [5m] and [10m] windows, so that what is induced here resolves
#   within the run; the thresholds and the 1m windows stay as shipped.
#   1. CryptodDropRate: a WebSocket client subscribes to every topic and never reads while exchsim sends
#      300 book diffs a second; the gateway drops the client with its queue (gateway.ws_client_queue = 256)
#      and the alert fires; it resolves at the end.
#   2. CryptodBookDivergence (under the same load, while the book is synced): exchsim's fault corrupt_book
#      changes one level of one REST order book; the ingestor's audit finds the difference and the alert
#      fires; the next clean audit (every 30 s) resolves it during case 3, and the load stops.
#   3. CryptodCircuitBreakerOpen, CryptodSpoolGrowing and CryptodSystemOverload: the forwarder is stopped,
#      the postgres sink's breaker opens and its spool grows, both fire; 1,000 book diffs a second fill
#      the spool to writer.spool_limit (1 MiB), CryptodSystemOverload fires (spool_full); the forwarder
#      comes back, the writer drains its spool, all three resolve.
#   4. CryptodExchangeRateLimited: exchsim answers one REST request 429 (fault rate_limit_storm, count 1;
#      a drop_connection on the stream makes the ingestor re-fetch its snapshot), the alert fires at once.
#      CryptodExchangeBan: then this script, on the ingestor's IP (127.0.0.1), keeps sending heavy depth
#      requests past exchsim's 429s until exchsim bans the IP (418, 2 minutes); the ingestor's next REST
#      call is answered 418 and the alert fires. Both resolve at the end, once their windows are clean.
#   5. CryptodStreamStale: exchsim stalls every stream for 80 s (fault stall_stream), the alert fires; the
#      stall ends and it resolves.
#   6. CryptodDatabaseErrors: a trigger raising P0001 on trades and ticker_snapshots makes PostgreSQL refuse
#      every write (kind "rejected", which bypasses the breaker; flush_max_rows = 10 makes > 10 writes a
#      minute); the trigger is dropped and the alert resolves once its 1-minute window is clean. The writer
#      uses a database of its own, cryptod_alerts, created on the test server, so no other test sees it.
#   7. CryptodRateLimitHeadroomLow: early in an exchange minute this script spends 5,500 of the IP's 6,000
#      weight, a drop_connection makes the ingestor gap-fill over REST, and the X-MBX-USED-WEIGHT-1M it
#      reads is over 90 % of its budget (6,000 x rate_limit_share 0.8); the alert fires, and resolves when
#      the minute rolls over.
#   8. CryptodMemoryHigh: the cgroup's memory limit is lowered to 100/88 of its working set, as an operator's
#      MemoryMax= would; every process reports the cgroup's limit as its memory, the alert fires; the limit
#      is lifted and it resolves.
#   9. CryptodCPUHigh: the cgroup gets a CPU quota of 0.2 cores (CPUQuota=20%) while exchsim sends 300 book
#      diffs a second; cryptod needs more than that, is throttled to it, and uses over 80 % of what it may;
#      the quota is lifted and it resolves.
#   For each: GET /api/v1/admin/alerts shows firing then resolved, and the webhook and the SMTP server each
#   received exactly one firing and one resolved message for it (repeat_interval = 0s).
#   Also: /api/v1/stream/health, /admin/health/detailed and /admin/performance/recommendations answer
#   their documented shapes, and /metrics carries the notification counters.
#
#   Not induced here: the load half of CryptodSystemOverload (the machine's load average over twice its
#   cores) would need this machine starved; CryptodQueueBacklog needs over 5,000 items waiting in a sink's
#   memory queue, which holds at most 1,024 batches, one delivery per stream for a durable sink (it spools
#   what waits longer than flush_max_age) and about rate x answer time for a cache sink (tried: Redis
#   answering 0.7 s late at 1,000 book diffs a second held about 700 items in 330 batches), so it takes
#   tens of thousands of messages a second. Cases 8 and 9 need root (to make a cgroup); without it they are
#   skipped and say so, except under CI=true, where they fail. Every rule runs through its promtool
#   scenarios (etc/prometheus/tests/cryptod-alerts.test.yml, in PromtoolScenarioTests and
#   Tests/scripts/prometheus_rules.sh).
#
#   Tests/scripts/alerts.sh        (exit 0 = all passed; about 6 minutes)
#
# PostgreSQL: $CRYPTOD_TEST_DATABASE_URL (scripts/test sets it), else scripts/services up --dir var/test-services.
# Binaries: $CRYPTOD_BIN_DIR, else the debug build.
set -uo pipefail
SCRIPT_NAME=alerts
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
cd "$CHECKOUT"
started=$(date +%s)
venv=$CHECKOUT/var/alerts-venv
requirements=$CHECKOUT/Tests/alerts/requirements.txt
receivers=$CHECKOUT/Tests/alerts/receivers.py

# MARK: - Tools and services

stamp="$(sha256sum "$requirements" | cut -d' ' -f1) $(python3 -c 'import sys; print(sys.version.split()[0])')"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements.stamp" 2>/dev/null)" = "$stamp" ]; then
  say "reusing $venv"
else
  say "creating $venv and installing Tests/alerts/requirements.txt from PyPI"
  rm -rf "$venv"
  mkdir -p "$CHECKOUT/var"
  python3 -m venv "$venv" || fail "could not create the venv in $venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off -r "$requirements" \
    > "$CHECKOUT/var/alerts-pip.log" 2>&1 \
    || { tail -15 "$CHECKOUT/var/alerts-pip.log" >&2; rm -rf "$venv"; fail "pip install failed (var/alerts-pip.log)"; }
  echo "$stamp" > "$venv/.requirements.stamp"
fi
if [ -z "${CRYPTOD_TEST_DATABASE_URL:-}" ]; then
  service_env=$(scripts/services up --dir "$CHECKOUT/var/test-services") || fail "PostgreSQL did not start"
  eval "$service_env"
  CRYPTOD_TEST_DATABASE_URL=$DATABASE_URL
fi
pg_port=$(python3 -c 'import sys,urllib.parse as u; print(u.urlsplit(sys.argv[1]).port or 5432)' "$CRYPTOD_TEST_DATABASE_URL")
bin_dir=${CRYPTOD_BIN_DIR:-$(swift build --show-bin-path 2>/dev/null)}
for binary in cryptod cryptod-gateway cryptod-ingestor cryptod-writer exchsim; do
  [ -x "$bin_dir/$binary" ] || fail "$bin_dir/$binary is missing: build first (swift build)"
done

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

work=$(mktemp -d /tmp/cryptod-alerts.XXXXXX)
pids=()
proxy_pid=
cg_kind=0 cg_mem= cg_cpu=
cleanup() {
  local pid
  for pid in "${pids[@]}" $proxy_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}" $proxy_pid; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "$cg_kind" != 0 ]; then rmdir "$cg_mem" 2>/dev/null || true; rmdir "$cg_cpu" 2>/dev/null || true; fi
  if [ "${ok:-0}" = 1 ]; then rm -rf "$work"; else say "kept $work for inspection"; fi
}
trap cleanup EXIT

hook_port=$(free_port); smtp_port=$(free_port); proxy_port=$(free_port); rest=$(free_port); ws=$(free_port)
python3 "$receivers" webhook "$hook_port" "$work/hooks.jsonl" > "$work/webhook.log" 2>&1 &
pids+=($!)
"$venv/bin/python" "$receivers" smtp "$smtp_port" "$work/mail" > "$work/smtp.log" 2>&1 &
pids+=($!)
start_proxy() {
  python3 "$receivers" proxy "$proxy_port" "$pg_port" >> "$work/proxy.log" 2>&1 &
  proxy_pid=$!
  for _ in $(seq 50); do (echo > "/dev/tcp/127.0.0.1/$proxy_port") 2>/dev/null && return 0; sleep 0.1; done
  fail "the PostgreSQL forwarder did not start"
}
stop_proxy() {
  kill -TERM "$proxy_pid" 2>/dev/null || true
  wait "$proxy_pid" 2>/dev/null || true
  proxy_pid=
}
start_proxy

# MARK: - A cgroup of its own for cryptod (cases 8 and 9)

# Prints "KIND MEMORY_DIR CPU_DIR": 2 (one v2 directory twice), 1 (v1's memory and cpu directories), or
# "0 - -" when no cgroup can be made here (not root, a read-only /sys/fs/cgroup).
read -r cg_kind cg_mem cg_cpu < <(python3 - "cryptod-alerts-$$" <<'PY'
import os, sys
name = sys.argv[1]
mounts = []
for line in open("/proc/self/mountinfo"):
    before, _, after = line.partition(" - ")
    fields, tail = before.split(), after.split()
    mounts.append((tail[0], fields[4], set(tail[2].split(",")) if len(tail) > 2 else set()))
for kind, point, _ in mounts:
    if kind != "cgroup2":
        continue
    try:
        delegated = open(os.path.join(point, "cgroup.subtree_control")).read().split()
        if "memory" in delegated and "cpu" in delegated:
            os.mkdir(os.path.join(point, name))
            print("2", os.path.join(point, name), os.path.join(point, name))
            sys.exit(0)
    except OSError:
        pass
memory = next((p for k, p, o in mounts if k == "cgroup" and "memory" in o), None)
cpu = next((p for k, p, o in mounts if k == "cgroup" and "cpu" in o), None)
try:
    if memory and cpu:
        for point in {memory, cpu}:
            os.makedirs(os.path.join(point, name), exist_ok=True)
        print("1", os.path.join(memory, name), os.path.join(cpu, name))
        sys.exit(0)
except OSError:
    pass
print("0 - -")
PY
)
if [ "$cg_kind" = 0 ]; then
  [ "${CI:-}" = true ] && fail "could not make a cgroup for cryptod (cases 8 and 9 need root and a writable /sys/fs/cgroup)"
  say "no cgroup can be made here (not root?): cases 8 and 9 will be skipped"
else
  say "cryptod runs in cgroup v$cg_kind $cg_mem"
fi
# Moves the calling (sub)shell into the cgroup, before it execs cryptod; every child inherits it.
enter_cgroup() {
  [ "$cg_kind" = 0 ] && return 0
  echo "$BASHPID" > "$cg_mem/cgroup.procs" || return 1
  [ "$cg_cpu" = "$cg_mem" ] || echo "$BASHPID" > "$cg_cpu/cgroup.procs"
}
cg_working_set() {  # usage less inactive file pages, as CgroupLimits reads it
  local usage inactive
  if [ "$cg_kind" = 2 ]; then
    usage=$(cat "$cg_mem/memory.current"); inactive=$(awk '$1 == "inactive_file" { print $2 }' "$cg_mem/memory.stat")
  else
    usage=$(cat "$cg_mem/memory.usage_in_bytes"); inactive=$(awk '$1 == "total_inactive_file" { print $2 }' "$cg_mem/memory.stat")
  fi
  echo $(( usage - ${inactive:-0} ))
}
cg_set_memory_limit() {  # BYTES, or "none"
  if [ "$cg_kind" = 2 ]; then
    echo "${1/none/max}" > "$cg_mem/memory.max"
  else
    echo "${1/none/-1}" > "$cg_mem/memory.limit_in_bytes"
  fi
}
cg_set_cpu_quota() {  # MICROSECONDS per 100 ms, or "none"
  if [ "$cg_kind" = 2 ]; then
    echo "${1/none/max} 100000" > "$cg_cpu/cpu.max"
  else
    echo 100000 > "$cg_cpu/cpu.cfs_period_us" && echo "${1/none/-1}" > "$cg_cpu/cpu.cfs_quota_us"
  fi
}

command -v psql > /dev/null 2>&1 || install_packages postgresql-client
# A database of its own: case 6 puts a refusing trigger on its tables, which must not touch other tests.
alerts_db_url=$(python3 -c 'import sys,urllib.parse as u; print(u.urlunsplit(u.urlsplit(sys.argv[1])._replace(path="/cryptod_alerts")))' "$CRYPTOD_TEST_DATABASE_URL")
psql -q -X "$CRYPTOD_TEST_DATABASE_URL" -c "CREATE DATABASE cryptod_alerts" > /dev/null 2>&1 || true
psql -q -X "$alerts_db_url" -c "DROP FUNCTION IF EXISTS alerts_refuse() CASCADE" > /dev/null 2>&1 \
  || fail "could not prepare the database cryptod_alerts"
db_url=$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); n=p._replace(netloc=p.netloc.rsplit(":",1)[0].rsplit("@",1)[0]+"@127.0.0.1:"+sys.argv[2] if "@" in p.netloc else "127.0.0.1:"+sys.argv[2]); print(u.urlunsplit(n))' "$alerts_db_url" "$proxy_port")

"$bin_dir/exchsim" --host 127.0.0.1 --port binance=0 --venue binance --seed 42 --ready-file "$work/exchsim.json" \
  --log-level warning > "$work/exchsim.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do [ -s "$work/exchsim.json" ] && break; sleep 0.1; done
binance=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); b=d["binance"]; print(b if isinstance(b,int) else b["port"])' "$work/exchsim.json") \
  || fail "exchsim did not start: $(cat "$work/exchsim.log")"

token=alerts-check-token
cat > "$work/cryptod.toml" <<TOML
[daemon]
runtime_dir = "run"
state_dir = "lib"
log_level = "info"
log_format = "text"
[gateway]
rest_listen = "127.0.0.1:$rest"
ws_listen = "127.0.0.1:$ws"
admin_token = "$token"
rate_limit = 1000000
rate_burst = 1000000
ws_client_queue = 256
[writer]
sinks = ["jsonl", "postgres"]
postgres_url = "$db_url"
flush_max_rows = 10
spool_limit = "1MiB"
[scheduler]
enabled = false
[alerts]
evaluation_interval = "1s"
for_override = "3s"
range_cap = "2m"
repeat_interval = "0s"
webhook_url = "http://127.0.0.1:$hook_port/hooks/cryptod"
smtp_server = "127.0.0.1:$smtp_port"
smtp_from = "cryptod@alerts.test"
smtp_to = "ops@alerts.test"
timeout = "3s"
retries = 2
[exchanges.binance]
rest_url = "http://127.0.0.1:$binance"
ws_url = "ws://127.0.0.1:$binance"
markets = ["BTCUSDT"]
[exchanges.bybit]
enabled = false
[exchanges.whitebit]
enabled = false
TOML
( enter_cgroup || exit 97; exec "$bin_dir/cryptod" --config "$work/cryptod.toml" ) > "$work/cryptod.log" 2>&1 &
pids+=($!)
url=http://127.0.0.1:$rest
wait_for_http "$url/api/v1/exchanges/binance/ticker/BTCUSDT" 120 \
  || { tail -30 "$work/cryptod.log" >&2; fail "the gateway served no ticker within 120 s (log: $work/cryptod.log)"; }
say "stack up: gateway $url, webhook :$hook_port, SMTP :$smtp_port, PostgreSQL via :$proxy_port"

admin() { curl -sf --max-time 5 -H "Authorization: Bearer $token" "$url$1"; }

# State of ALERT in /admin/alerts: firing, pending, resolved or none.
alert_state() {
  admin /api/v1/admin/alerts | python3 -c '
import json, sys
alerts = [a for a in json.load(sys.stdin)["alerts"] if a["name"] == sys.argv[1]]
order = {"firing": 0, "pending": 1, "resolved": 2}
print(sorted(alerts, key=lambda a: order[a["state"]])[0]["state"] if alerts else "none")' "$1"
}

wait_state() {  # ALERT STATE SECONDS
  local waited=0 state=
  while [ "$waited" -lt "$3" ]; do
    state=$(alert_state "$1" 2>/dev/null)
    [ "$state" = "$2" ] && { say "$1 is $2 after ${waited}s"; return 0; }
    sleep 1
    waited=$((waited + 1))
  done
  admin /api/v1/admin/alerts >&2 || true
  tail -20 "$work/cryptod.log" >&2
  fail "$1 did not become $2 within $3 s (last: $state)"
}

# Counts notifications for ALERT in STATE per channel, waiting up to 20 s for the expected count.
notifications() {  # ALERT STATE: "HOOKS MAILS", what the webhook and the SMTP server got so far
  local hooks mails
  hooks=$(python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]) if __import__("os").path.exists(sys.argv[1]) else []:
    m = json.loads(line)
    if m["cryptod"]["alert"] == sys.argv[2] and m["cryptod"]["state"] == sys.argv[3]: n += 1
print(n)' "$work/hooks.jsonl" "$1" "$2")
  mails=$(grep -l -s "^X-Cryptod-Alert: $1" "$work"/mail/*.eml 2>/dev/null | xargs -r grep -l "^X-Cryptod-State: $2" | wc -l)
  echo "$hooks $mails"
}

wait_quiet() {  # ALERT SECONDS: wait until the alert is neither firing nor pending
  local waited=0 state=
  while [ "$waited" -lt "$2" ]; do
    state=$(alert_state "$1" 2>/dev/null)
    case "$state" in none | resolved) return 0 ;; esac
    sleep 1
    waited=$((waited + 1))
  done
  fail "$1 was still $state after $2 s"
}

expect_notifications() {  # ALERT STATE COUNT
  local hooks mails
  for _ in $(seq 100); do
    read -r hooks mails < <(notifications "$1" "$2")
    [ "$hooks" -ge "$3" ] && [ "$mails" -ge "$3" ] && break
    sleep 0.2
  done
  [ "$hooks" = "$3" ] || fail "the webhook got $hooks $2 notifications for $1, expected $3 ($work/hooks.jsonl)"
  [ "$mails" = "$3" ] || fail "the SMTP server got $mails $2 e-mails for $1, expected $3 ($work/mail)"
  say "$1 $2: webhook $3, e-mail $3"
}

# MARK: - The read routes

curl -sf "$url/api/v1/stream/health" | python3 -c '
import json, sys
h = json.load(sys.stdin)
assert h["status"] in ("healthy", "degraded", "critical") and 0 <= h["score"] <= 100 and h["time"].endswith("Z"), h' \
  || fail "/api/v1/stream/health has the wrong shape"
# Every process must have answered a scrape first (a slow start can miss the first evaluation or two).
health_ok=0
for _ in $(seq 1 60); do
  if admin /api/v1/admin/health/detailed | python3 -c '
import json, sys
h = json.load(sys.stdin)
names = [c["name"] for c in h["components"]]
assert "gateway" in names and "writer" in names and "ingestor-binance" in names, names
ingestor = [c for c in h["components"] if c["name"] == "ingestor-binance"][0]
assert any(s["signal"] == "stream_staleness" for s in ingestor["signals"]), ingestor' 2>"$work/health.err"; then
    health_ok=1
    break
  fi
  sleep 1
done
[ "$health_ok" = 1 ] || { cat "$work/health.err" >&2; fail "/api/v1/admin/health/detailed lacks a component or signal after 60 s"; }
admin /api/v1/admin/performance/recommendations | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert isinstance(r["recommendations"], list) and r["time"].endswith("Z"), r' \
  || fail "/api/v1/admin/performance/recommendations has the wrong shape"
rules=$(admin /api/v1/admin/alerts | python3 -c 'import json,sys; print(json.load(sys.stdin)["rules"])')
[ "$rules" = "$(grep -c '^      - alert:' etc/prometheus/cryptod-alerts.yml)" ] \
  || fail "/api/v1/admin/alerts evaluates $rules rules, etc/prometheus/cryptod-alerts.yml has others"
say "health, detailed health, recommendations and alerts answer; $rules rules"

# MARK: - 1. A WebSocket client that never reads (resolved at the end)

[ "$(alert_state CryptodDropRate)" = none ] || fail "CryptodDropRate before anything was induced"
# One market's organic feed is a few messages a second; 300 book diffs a second fill the client's
# buffers within seconds.
curl -sf -X POST -d '{"depth":300}' "http://127.0.0.1:$binance/_sim/load" > /dev/null || fail "could not raise exchsim's load"
python3 "$receivers" stuck "$ws" 600 > "$work/stuck.log" 2>&1 &
pids+=($!)
say "a WebSocket client subscribed to every topic reads nothing; exchsim sends 300 book diffs a second"
wait_state CryptodDropRate firing 150
expect_notifications CryptodDropRate firing 1

# MARK: - 2. The exchange's REST book differs from its stream (while the load runs)

# Under load every Binance diff is one update (U = u), so the book reaches an audit snapshot's exact
# update id and the audit is compared; one corrupted REST book answer makes it differ.
[ "$(alert_state CryptodBookDivergence)" = none ] || fail "CryptodBookDivergence before anything was induced"
curl -sf -X POST -d '{"kind":"corrupt_book","count":1}' "http://127.0.0.1:$binance/_sim/faults" > /dev/null \
  || fail "could not install the corrupt_book fault"
say "exchsim changes one level of its next REST order book"
wait_state CryptodBookDivergence firing 150
expect_notifications CryptodBookDivergence firing 1

grep -q "dropping a WebSocket client that does not keep up" "$work/cryptod.log" \
  || fail "the gateway did not log why it dropped the client"

# MARK: - 3. PostgreSQL unreachable: the breaker opens, the spool grows

[ "$(alert_state CryptodCircuitBreakerOpen)" = none ] || fail "CryptodCircuitBreakerOpen before anything was induced"
[ "$(alert_state CryptodSpoolGrowing)" = none ] || fail "CryptodSpoolGrowing before anything was induced"
[ "$(alert_state CryptodSystemOverload)" = none ] || fail "CryptodSystemOverload before anything was induced"
stop_proxy
say "stopped the PostgreSQL forwarder"
wait_state CryptodCircuitBreakerOpen firing 120
expect_notifications CryptodCircuitBreakerOpen firing 1
wait_state CryptodSpoolGrowing firing 120
expect_notifications CryptodSpoolGrowing firing 1
# Every batch goes to every sink, book diffs too: at 1,000 a second the postgres spool reaches
# writer.spool_limit (1 MiB here) within seconds, and the writer stops acknowledging (the ingestor keeps
# the frames; nothing is lost).
curl -sf -X POST -d '{"depth":1000}' "http://127.0.0.1:$binance/_sim/load" > /dev/null || fail "could not raise exchsim's load"
wait_state CryptodSystemOverload firing 120
expect_notifications CryptodSystemOverload firing 1
curl -sf -X POST -d '{"depth":300}' "http://127.0.0.1:$binance/_sim/load" > /dev/null || fail "could not lower exchsim's load"
start_proxy
say "started the PostgreSQL forwarder again"
wait_state CryptodCircuitBreakerOpen resolved 180
expect_notifications CryptodCircuitBreakerOpen resolved 1
wait_state CryptodSpoolGrowing resolved 120
expect_notifications CryptodSpoolGrowing resolved 1
wait_state CryptodSystemOverload resolved 120
expect_notifications CryptodSystemOverload resolved 1
# The next clean audit (every 30 s) finds the book equal to the exchange's again.
wait_state CryptodBookDivergence resolved 150
expect_notifications CryptodBookDivergence resolved 1
curl -sf -X POST -d '{"depth":0}' "http://127.0.0.1:$binance/_sim/load" > /dev/null || fail "could not lower exchsim's load"
admin /api/v1/admin/health/detailed | python3 -c '
import json, sys
w = [c for c in json.load(sys.stdin)["components"] if c["name"] == "writer"][0]
b = [s for s in w["signals"] if s["signal"] == "sink_breaker"][0]
assert b["penalty"] == 0, b' || fail "the writer's sink_breaker signal still has a penalty after recovery"

# MARK: - 4. The exchange says "slow down": one 429 (resolved at the end, once its window is clean)

[ "$(alert_state CryptodExchangeRateLimited)" = none ] || fail "CryptodExchangeRateLimited before anything was induced"
curl -sf -X POST -d '[{"kind":"rate_limit_storm","count":1,"scope":"rest"},{"kind":"drop_connection","count":1,"scope":"ws"}]' \
  "http://127.0.0.1:$binance/_sim/faults" > /dev/null || fail "could not install the rate_limit_storm fault"
say "exchsim answers the next REST request 429 and drops the stream (the ingestor re-fetches its snapshot)"
wait_state CryptodExchangeRateLimited firing 90
expect_notifications CryptodExchangeRateLimited firing 1
curl -sf "http://127.0.0.1:$binance/_sim/faults" | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
assert c.get("rate_limit_storm", 0) == 1, c' || fail "exchsim did not answer exactly one 429"

# MARK: - 4. (cont.) Ignoring the 429s: exchsim bans the IP

[ "$(alert_state CryptodExchangeBan)" = none ] || fail "CryptodExchangeBan before anything was induced"
# Depth with limit=5000 weighs 250: 24 fill Binance's 6,000 a minute, then 429s, and the fifth request
# that ignores them is answered 418. The ingestor shares the IP, so its next call is refused too.
code=
for _ in $(seq 200); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$binance/api/v3/depth?symbol=BTCUSDT&limit=5000")
  [ "$code" = 418 ] && break
done
[ "$code" = 418 ] || fail "exchsim did not ban 127.0.0.1 after 200 heavy depth requests (last answer $code)"
curl -sf -X POST -d '{"kind":"drop_connection","count":1,"scope":"ws"}' "http://127.0.0.1:$binance/_sim/faults" \
  > /dev/null || fail "could not install the drop_connection fault"
say "exchsim banned 127.0.0.1 (418) and drops the stream: the ingestor's gap-fill and snapshot meet the ban"
wait_state CryptodExchangeBan firing 120
expect_notifications CryptodExchangeBan firing 1
curl -sf "http://127.0.0.1:$binance/_sim/limits" | python3 -c '
import json, sys
def answers(node):  # every responses418 in the limits report, wherever the venue nests its clients
    if isinstance(node, dict):
        return sum(v if k == "responses418" else answers(v) for k, v in node.items())
    return sum(answers(v) for v in node) if isinstance(node, list) else 0
n = answers(json.load(sys.stdin))
assert n >= 2, n' || fail "exchsim answered fewer than two 418s (this script one, the ingestor at least one)"
[ "$(alert_state CryptodExchangeRateLimited)" = firing ] \
  || fail "CryptodExchangeRateLimited is not firing through the ban (its window holds the 429 and the 418s)"

# MARK: - 5. A stalled exchange: the stream goes stale

curl -sf -X POST -d '{"kind":"stall_stream","count":1,"ms":80000}' "http://127.0.0.1:$binance/_sim/faults" > /dev/null \
  || fail "could not install the stall_stream fault"
say "exchsim stalls every stream for 80 s"
wait_state CryptodStreamStale firing 120
expect_notifications CryptodStreamStale firing 1
admin /api/v1/admin/health/detailed | python3 -c '
import json, sys
i = [c for c in json.load(sys.stdin)["components"] if c["name"] == "ingestor-binance"][0]
s = [s for s in i["signals"] if s["signal"] == "stream_staleness"][0]
assert s["penalty"] > 0 and s["value"] > 30, s' || fail "the stale stream costs no health"
wait_state CryptodStreamStale resolved 120
expect_notifications CryptodStreamStale resolved 1

# MARK: - 6. PostgreSQL refuses every write: more than 10 database errors a minute

[ "$(alert_state CryptodDatabaseErrors)" = none ] || fail "CryptodDatabaseErrors before anything was induced"
# A trigger that raises P0001: the writer counts each refused write (kind "rejected", not the breaker's
# "unavailable"), keeps the batch in the spool's rejected file and goes on; flush_max_rows = 10 makes
# enough writes a minute.
psql -q -X -v ON_ERROR_STOP=1 "$alerts_db_url" > /dev/null 2>> "$work/psql.log" <<'SQL' \
  || fail "could not install the refusing trigger ($work/psql.log)"
CREATE FUNCTION alerts_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'alerts.sh refuses this write'; END $$;
CREATE TRIGGER alerts_refuse BEFORE INSERT ON trades FOR EACH STATEMENT EXECUTE FUNCTION alerts_refuse();
CREATE TRIGGER alerts_refuse BEFORE INSERT ON ticker_snapshots FOR EACH STATEMENT EXECUTE FUNCTION alerts_refuse();
SQL
say "PostgreSQL refuses every insert into trades and ticker_snapshots"
wait_state CryptodDatabaseErrors firing 90
expect_notifications CryptodDatabaseErrors firing 1
psql -q -X "$alerts_db_url" -c "DROP FUNCTION alerts_refuse() CASCADE" > /dev/null 2>> "$work/psql.log" \
  || fail "could not drop the trigger ($work/psql.log)"
say "PostgreSQL accepts writes again"
wait_state CryptodDatabaseErrors resolved 150
expect_notifications CryptodDatabaseErrors resolved 1

# MARK: - 7. Someone else on the IP uses most of the weight budget

# The ban in step 4 spent the whole budget: when the ingestor read that in a header, this alert fired
# and resolved then. What counts here is that it is quiet now and fires once more for this step.
wait_quiet CryptodRateLimitHeadroomLow 90
read -r headroom_before _ < <(notifications CryptodRateLimitHeadroomLow firing)
# The ban is long over; /_sim/limits/reset clears exchsim's counters so that the next minute is clean.
curl -sf -X POST "http://127.0.0.1:$binance/_sim/limits/reset" > /dev/null || fail "could not reset exchsim's limits"
used=0
for _ in 1 2 3; do
  # Early in a minute of the exchange's clock: the ingestor must read the header in the same minute.
  second=$(curl -sf "http://127.0.0.1:$binance/api/v3/time" | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverTime"] // 1000 % 60)')
  [ "$second" -gt 15 ] && sleep $(( 61 - second ))
  for _ in $(seq 22); do
    used=$(curl -s -o /dev/null -D - "http://127.0.0.1:$binance/api/v3/depth?symbol=BTCUSDT&limit=5000" \
      | tr -d '\r' | awk -F': ' 'tolower($1) == "x-mbx-used-weight-1m" { print $2 }')
  done
  [ "${used:-0}" -ge 5400 ] && [ "${used:-0}" -lt 5700 ] && break
done
[ "${used:-0}" -ge 5400 ] || fail "could not spend 5,400 of the weight in one minute (used $used)"
curl -sf -X POST -d '{"kind":"drop_connection","count":1,"scope":"ws"}' "http://127.0.0.1:$binance/_sim/faults" \
  > /dev/null || fail "could not install the drop_connection fault"
say "this script used $used of 127.0.0.1's 6,000 weight; the ingestor reconnects and gap-fills"
wait_state CryptodRateLimitHeadroomLow firing 40
expect_notifications CryptodRateLimitHeadroomLow firing $((headroom_before + 1))
wait_state CryptodRateLimitHeadroomLow resolved 90
expect_notifications CryptodRateLimitHeadroomLow resolved $((headroom_before + 1))

# MARK: - 8. cryptod's cgroup is near its memory limit (an operator's MemoryMax=)

metric_values() {  # NAME: every value of the metric in /metrics, one per line
  curl -sf "$url/metrics" | awk -v name="$1" 'index($0, name "{") == 1 { print $NF }'
}
notified=0
if [ "$cg_kind" != 0 ]; then
  [ "$(alert_state CryptodMemoryHigh)" = none ] || fail "CryptodMemoryHigh before anything was induced"
  working_set=$(cg_working_set)
  limit=$(( working_set * 100 / 88 ))
  cg_set_memory_limit "$limit" || fail "could not set the memory limit of $cg_mem"
  say "the memory limit of cryptod's cgroup is now $limit bytes (its working set: $working_set)"
  wait_state CryptodMemoryHigh firing 90
  expect_notifications CryptodMemoryHigh firing 1
  reported=$(metric_values cryptod_system_memory_total_bytes | python3 -c 'import sys; print(int(min(float(v) for v in sys.stdin)))')
  [ "$reported" -le "$limit" ] || fail "cryptod_system_memory_total_bytes says $reported, not the cgroup's limit $limit"
  cg_set_memory_limit none || fail "could not lift the memory limit of $cg_mem"
  say "the memory limit is lifted"
  wait_state CryptodMemoryHigh resolved 90
  expect_notifications CryptodMemoryHigh resolved 1
  notified=$((notified + 2))
else
  say "skipped case 8 (CryptodMemoryHigh): no cgroup"
fi

# MARK: - 9. cryptod's cgroup gets a CPU quota it needs more than (an operator's CPUQuota=)

if [ "$cg_kind" != 0 ]; then
  [ "$(alert_state CryptodCPUHigh)" = none ] || fail "CryptodCPUHigh before anything was induced"
  curl -sf -X POST -d '{"depth":300}' "http://127.0.0.1:$binance/_sim/load" > /dev/null || fail "could not raise exchsim's load"
  cg_set_cpu_quota 20000 || fail "could not set the CPU quota of $cg_cpu"
  say "cryptod's cgroup may use 0.2 cores; exchsim sends 300 book diffs a second"
  wait_state CryptodCPUHigh firing 150
  expect_notifications CryptodCPUHigh firing 1
  cores=$(metric_values cryptod_system_cpu_limit_cores | sort -u | tr '\n' ' ')
  [ "$cores" = "0.2 " ] || fail "cryptod_system_cpu_limit_cores says $cores, not the quota 0.2"
  cg_set_cpu_quota none || fail "could not lift the CPU quota of $cg_cpu"
  curl -sf -X POST -d '{"depth":0}' "http://127.0.0.1:$binance/_sim/load" > /dev/null || fail "could not lower exchsim's load"
  say "the CPU quota is lifted and the load stopped"
  wait_state CryptodCPUHigh resolved 150
  expect_notifications CryptodCPUHigh resolved 1
  notified=$((notified + 2))
else
  say "skipped case 9 (CryptodCPUHigh): no cgroup"
fi

# MARK: - 1. and 4. (end) Clean windows: the 429, the ban and the drops resolve

wait_state CryptodExchangeRateLimited resolved 300
expect_notifications CryptodExchangeRateLimited resolved 1
wait_state CryptodExchangeBan resolved 300
expect_notifications CryptodExchangeBan resolved 1
wait_state CryptodDropRate resolved 300
expect_notifications CryptodDropRate resolved 1

# MARK: - Metrics

curl -sf "$url/metrics" -o "$work/metrics.txt" || fail "GET /metrics failed"
python3 - "$work/metrics.txt" $((20 + notified)) <<'PY' || { grep cryptod_alert_notifications_total "$work/metrics.txt" >&2; fail "/metrics does not count $((20 + notified)) sent webhook notifications"; }
import re, sys
sent = sum(float(l.rsplit(" ", 1)[1]) for l in open(sys.argv[1])
           if l.startswith("cryptod_alert_notifications_total{") and 'channel="webhook"' in l and 'result="sent"' in l)
sys.exit(0 if sent >= int(sys.argv[2]) else 1)
PY
grep -q '^cryptod_system_health_score{' "$work/metrics.txt" || fail "/metrics has no cryptod_system_health_score"
grep -q '^cryptod_process_cpu_seconds_total{' "$work/metrics.txt" || fail "/metrics has no cryptod_process_cpu_seconds_total"
ok=1
say "all alert checks passed in $(( $(date +%s) - started )) s"
