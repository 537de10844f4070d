#!/usr/bin/env bash
# Runs the exchanges' own SDKs and ccxt, unmodified, against exchsim: binance-connector (REST and its
# WebSocket stream client), pybit (HTTP and WebSocket), the official WhiteBIT Python SDK, and ccxt /
# ccxt.pro for Binance, Bybit and WhiteBIT (Tests/sdk/, versions pinned in Tests/sdk/requirements.txt).
# Only client settings a user would make point them at exchsim (see docs/exchsim.md, "Client
# libraries"); the harness refuses any connection or name lookup outside loopback.
#
#   Tests/scripts/sdk_compat.sh [--venue binance|bybit|whitebit …]   (exit 0 = every check passed)
#
# The venv lives in var/sdk-venv and is reused while requirements.txt and the Python version are
# unchanged; installing it needs PyPI (a failed install fails the run). exchsim is the already built
# binary ($CRYPTOD_BIN_DIR/exchsim, else `swift build --show-bin-path`; built only when missing), started
# on ephemeral loopback ports with the wall clock at scale 1, since the SDKs sign with their local time.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=$root/var/sdk-venv
requirements=$root/Tests/sdk/requirements.txt
python=${PYTHON:-python3}
started=$(date +%s)

say() { printf 'sdk_compat: %s\n' "$*"; }
fail() { printf 'sdk_compat: FAIL - %s\n' "$*" >&2; exit 1; }

venue_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --venue) [ $# -ge 2 ] || fail "--venue needs a name"; venue_args+=(--venue "$2"); shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown argument $1 (see --help)" ;;
  esac
done

# MARK: - Python environment

command -v "$python" >/dev/null 2>&1 || fail "$python not found (set PYTHON to a Python 3.9+ interpreter)"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' || fail "$python is older than 3.9"
stamp="$(sha256sum "$requirements" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version.split()[0])')"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements.stamp" 2>/dev/null)" = "$stamp" ]; then
  say "reusing $venv"
else
  say "creating $venv and installing Tests/sdk/requirements.txt from PyPI"
  rm -rf "$venv"
  mkdir -p "$root/var"
  "$python" -m venv "$venv" || fail "could not create the venv in $venv ($python -m venv)"
  if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off \
    -r "$requirements" > "$root/var/sdk-pip.log" 2>&1; then
    tail -15 "$root/var/sdk-pip.log" >&2
    rm -rf "$venv"
    fail "pip install of Tests/sdk/requirements.txt failed (is PyPI reachable? full log: var/sdk-pip.log)"
  fi
  echo "$stamp" > "$venv/.requirements.stamp"
fi

# MARK: - exchsim

bin_dir=${CRYPTOD_BIN_DIR:-}
if [ -z "$bin_dir" ]; then
  bin_dir=$(cd "$root" && swift build --show-bin-path 2>/dev/null) || fail "swift build --show-bin-path failed"
fi
exchsim=$bin_dir/exchsim
if [ ! -x "$exchsim" ]; then
  say "no exchsim in $bin_dir: building it"
  (cd "$root" && swift build --product exchsim) || fail "could not build exchsim"
fi

work=$(mktemp -d /tmp/cryptod-sdk-compat.XXXXXX)
exchsim_pid=""
cleanup() {
  if [ -n "$exchsim_pid" ] && kill -0 "$exchsim_pid" 2>/dev/null; then
    kill -TERM "$exchsim_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$exchsim_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$exchsim_pid" 2>/dev/null && kill -KILL "$exchsim_pid" 2>/dev/null
    wait "$exchsim_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$exchsim" --host 127.0.0.1 --port binance=0 --port bybit=0 --port whitebit=0 --seed 42 --time-scale 1 \
  --limit whitebit.depth_window_removals=1 \
  --ready-file "$work/ready.json" --log-level warning > "$work/exchsim.log" 2>&1 &
exchsim_pid=$!
for _ in $(seq 300); do
  [ -s "$work/ready.json" ] && break
  kill -0 "$exchsim_pid" 2>/dev/null || { cat "$work/exchsim.log" >&2; fail "exchsim exited during start-up"; }
  sleep 0.1
done
[ -s "$work/ready.json" ] || fail "exchsim did not write its ready file within 30 s"
say "exchsim (pid $exchsim_pid) listening: $(cat "$work/ready.json")"

# MARK: - checks

PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 timeout 300 \
  "$venv/bin/python" "$root/Tests/sdk/run.py" --ready-file "$work/ready.json" "${venue_args[@]}"
status=$?
if ! kill -0 "$exchsim_pid" 2>/dev/null; then
  cat "$work/exchsim.log" >&2
  fail "exchsim died during the checks"
fi
elapsed=$(( $(date +%s) - started ))
[ "$status" = 124 ] && fail "the SDK checks timed out after 300 s"
[ "$status" = 0 ] || fail "SDK checks failed (see the FAIL lines above); $elapsed s"
say "all SDK checks passed in $elapsed s"
