#!/usr/bin/env bash
# Tests scripts/services end to end with real servers: brings PostgreSQL, Redis and RabbitMQ up in a temporary
# directory on ports other than the defaults, checks that each answers, that `up` is idempotent and `env` and
# `status` agree, then brings them down and verifies that no process and no listener is left.
#
#   Tests/scripts/services_test.sh        (about 30 s; exit 0 = pass, 1 = a check failed)
#
# Ports: CRYPTOD_TEST_SERVICES_PORT_BASE (default 57000) + 0..4 for postgres, redis, rabbitmq, its
# distribution port and its epmd, so a developer's own `scripts/services up` keeps running untouched.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
services=$root/scripts/services
base=${CRYPTOD_TEST_SERVICES_PORT_BASE:-57000}
export CRYPTOD_PG_PORT=$base CRYPTOD_REDIS_PORT=$((base + 1)) CRYPTOD_RMQ_PORT=$((base + 2))
export CRYPTOD_RMQ_DIST_PORT=$((base + 3)) CRYPTOD_RMQ_EPMD_PORT=$((base + 4))
ports=("$CRYPTOD_PG_PORT" "$CRYPTOD_REDIS_PORT" "$CRYPTOD_RMQ_PORT" "$CRYPTOD_RMQ_DIST_PORT" "$CRYPTOD_RMQ_EPMD_PORT")

dir=$(mktemp -d /tmp/cryptod-services-test.XXXXXX)
# As root the postgres user runs the database, so it must be able to enter the directory.
chmod 755 "$dir"
failures=0

pass() { printf 'ok   - %s\n' "$*"; }
fail() { printf 'FAIL - %s\n' "$*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

cleanup() {
  "$services" down --dir "$dir" --purge >/dev/null 2>&1 || true
  rm -rf "$dir" "$dir.up.log" "$dir.amqp"
}
trap cleanup EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Pid $1 and all its descendants.
family() {
  local pids=$1 frontier=$1 next
  while [ -n "$frontier" ]; do
    next=$(ps -eo pid=,ppid= | awk -v parents=" $frontier " 'index(parents, " " $2 " ") { print $1 }' | tr '\n' ' ')
    pids="$pids $next"
    frontier=$(echo $next)
  done
  echo $pids
}

# The AMQP 0-9-1 header gets a Connection.Start frame back: type 1, and the server properties name RabbitMQ.
# The server keeps the socket open waiting for our answer, so read for a while rather than for a byte count.
amqp_probe() {
  timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; printf 'AMQP\0\0\x09\x01' >&3; cat <&3" >"$dir.amqp" 2>/dev/null
  [ "$(head -c 1 "$dir.amqp" | od -An -tx1 | tr -d ' ')" = 01 ] && grep -qa RabbitMQ "$dir.amqp"
}

# MARK: - Preconditions

for port in "${ports[@]}"; do
  if port_open "$port"; then
    echo "port $port is already in use; set CRYPTOD_TEST_SERVICES_PORT_BASE to a free range" >&2
    exit 1
  fi
done

# MARK: - up

if ! up_out=$("$services" up --dir "$dir" 2>"$dir.up.log"); then
  cat "$dir.up.log" >&2
  fail "services up"
  exit 1
fi
pass "services up"
eval "$up_out"
check "DATABASE_URL uses the test port" [ "$DATABASE_URL" = "postgres://postgres@127.0.0.1:$CRYPTOD_PG_PORT/cryptod" ]
check "REDIS_URL uses the test port" [ "$REDIS_URL" = "redis://127.0.0.1:$CRYPTOD_REDIS_PORT/0" ]
check "RABBITMQ_URL uses the test port" [ "$RABBITMQ_URL" = "amqp://guest:guest@127.0.0.1:$CRYPTOD_RMQ_PORT/%2f" ]

check "postgres answers select 1 in database cryptod" [ "$(psql "$DATABASE_URL" -Atc 'select 1' 2>/dev/null)" = 1 ]
check "redis answers PING" [ "$(redis-cli -u "$REDIS_URL" ping 2>/dev/null)" = PONG ]
check "rabbitmq answers the AMQP protocol header" amqp_probe "$CRYPTOD_RMQ_PORT"
check "everything listens on loopback only" \
  bash -c "! ss -Hltn | awk '{print \$4}' | grep -E ':($CRYPTOD_PG_PORT|$CRYPTOD_REDIS_PORT|$CRYPTOD_RMQ_PORT)\$' | grep -vE '^(127\.0\.0\.1|\[::1\]):'"

# MARK: - idempotence, env, status

pids_before=$(cat "$dir/pg/data/postmaster.pid" | head -n 1; cat "$dir/redis/redis.pid"; cat "$dir/rabbit/rabbit.pid")
again_err=$("$services" up --dir "$dir" 2>&1 >/dev/null)
check "a second up succeeds" [ $? -eq 0 ]
check "a second up reports all three already running" [ "$(grep -c 'already running' <<<"$again_err")" = 3 ]
pids_after=$(cat "$dir/pg/data/postmaster.pid" | head -n 1; cat "$dir/redis/redis.pid"; cat "$dir/rabbit/rabbit.pid")
check "a second up starts nothing new" [ "$pids_before" = "$pids_after" ]
check "env prints the same exports as up" [ "$("$services" env --dir "$dir" 2>/dev/null)" = "$up_out" ]
status_out=$("$services" status --dir "$dir")
check "status exits 0 when all run" [ $? -eq 0 ]
check "status names all three as running" [ "$(grep -c ': *running' <<<"$status_out")" = 3 ]
check "the database survives an idempotent up" [ "$(psql "$DATABASE_URL" -Atc 'select 1' 2>/dev/null)" = 1 ]

# MARK: - down

tracked=""
for file in "$dir/pg/data/postmaster.pid" "$dir/redis/redis.pid" "$dir/rabbit/wrapper.pid" "$dir/rabbit/rabbit.pid" "$dir/rabbit/epmd.pid"; do
  pid=$(head -n 1 "$file" 2>/dev/null | tr -dc '0-9')
  [ -n "$pid" ] && tracked="$tracked $(family "$pid")"
done
check "the pid files name the running servers" [ "$(echo $tracked | wc -w)" -ge 5 ]

check "services down" "$services" down --dir "$dir"
left=""
for pid in $tracked; do kill -0 "$pid" 2>/dev/null && left="$left $pid($(cat /proc/$pid/comm 2>/dev/null))"; done
check "no server process is left (${left:-none})" [ -z "$left" ]
open_ports=""
for port in "${ports[@]}"; do port_open "$port" && open_ports="$open_ports $port"; done
check "no test port still listens (${open_ports:-none})" [ -z "$open_ports" ]
strays=$(pgrep -f -- "$dir" | tr '\n' ' ')
check "no process mentions the test directory (${strays:-none})" [ -z "$strays" ]
check "no pid file is left" bash -c "! ls '$dir'/redis/redis.pid '$dir'/rabbit/*.pid '$dir'/pg/data/postmaster.pid 2>/dev/null | grep -q ."
"$services" status --dir "$dir" >/dev/null
check "status exits 3 when stopped" [ $? -eq 3 ]
"$services" env --dir "$dir" >/dev/null 2>&1
check "env fails when nothing runs" [ $? -ne 0 ]
check "a second down is harmless" "$services" down --dir "$dir"
check "down --purge removes the directory" bash -c "'$services' down --dir '$dir' --purge 2>/dev/null && [ ! -e '$dir' ]"

echo
if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
