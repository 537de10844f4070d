# Shared by scripts/run and scripts/test: locating the checkout, installing what is missing, messages.
# Source it; it defines functions only (plus CHECKOUT).

CHECKOUT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

say() { printf '%s: %s\n' "${SCRIPT_NAME:-cryptod}" "$*" >&2; }
fail() { printf '%s: error: %s\n' "${SCRIPT_NAME:-cryptod}" "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else fail "need root to run: $* (install sudo or run as root)"
  fi
}

# Installs the Debian packages given that are not installed yet.
install_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
    || fail "apt-get update failed; check the machine's access to the Debian mirrors"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed; run it by hand to see why"
}

# The C libraries the package links (system-library targets) and the tools the build needs.
BUILD_PACKAGES=(libssl-dev libpq-dev libhiredis-dev librabbitmq-dev pkg-config)

require_swift() {
  command -v swift >/dev/null 2>&1 \
    || fail "the Swift toolchain (6.2 or newer) is not on PATH; install it from https://www.swift.org/install/linux/ and retry"
  local version
  version=$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9]*\)\.\([0-9]*\).*/\1.\2/p' | head -1)
  case $version in
    6.[2-9]*|[7-9].*) ;;
    *) fail "Swift $version found; cryptod needs Swift 6.2 or newer" ;;
  esac
}

# Waits until `curl` gets HTTP 200 from URL, up to SECONDS; returns non-zero on timeout.
wait_for_http() {
  local url=$1 seconds=$2 waited=0
  while [ "$waited" -lt "$((seconds * 5))" ]; do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null)" = 200 ]; then return 0; fi
    sleep 0.2
    waited=$((waited + 1))
  done
  return 1
}

# Release builds of several products into one scratch directory: `swift build --product` takes one product
# (given several, it builds only the last), so one call each; later ones reuse the modules already built.
build_release_products() {
  local scratch=$1 product
  shift
  for product in "$@"; do
    swift build -c release --scratch-path "$scratch" --product "$product" >&2 \
      || fail "the release build of $product failed (output above)"
  done
}

# The Python client tools of the benchmarks and the WebSocket fuzzer (websockets, hdrhistogram), from PyPI,
# in var/bench-venv; reused while the list and the Python version are unchanged. Prints the venv's python.
BENCH_PYTHON_REQUIREMENTS="websockets==13.1 hdrhistogram==0.10.3"
ensure_bench_venv() {
  local venv=$CHECKOUT/var/bench-venv stamp
  stamp="$BENCH_PYTHON_REQUIREMENTS $(python3 -c 'import sys; print(sys.version.split()[0])')"
  if ! [ -x "$venv/bin/python" ] || [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$venv"; mkdir -p "$CHECKOUT/var"
    python3 -m venv "$venv" >&2 || fail "could not create the venv in $venv"
    # shellcheck disable=SC2086
    "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off \
      $BENCH_PYTHON_REQUIREMENTS > "$CHECKOUT/var/bench-pip.log" 2>&1 \
      || { tail -15 "$CHECKOUT/var/bench-pip.log" >&2; rm -rf "$venv"; fail "pip install failed (var/bench-pip.log)"; }
    echo "$stamp" > "$venv/.stamp"
  fi
  echo "$venv/bin/python"
}
