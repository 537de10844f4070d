#!/usr/bin/env bash
# Builds the Debian package (scripts/package) from the debug build scripts/test has made, and checks it:
#   1. lintian reports no error and no warning (overrides, each with its reason, are in packaging/);
#   2. it installs into a scratch root with dpkg, maintainer scripts included: the cryptod account exists
#      there, every file landed with its mode and owner, /etc/cryptod/cryptod.toml is a conffile;
#   3. `systemd-analyze verify --root` passes on the INSTALLED units, whose ExecStart= name the installed
#      binaries (no stubs);
#   4. the installed `cryptod --check-config /etc/cryptod/cryptod.toml` accepts the shipped file;
#   5. the installed cryptod runs its installed gateway, which serves /docs from the installed resource
#      bundle while the build tree's copy is hidden (a private mount namespace);
#   6. reinstalling (an upgrade to the same version) keeps a changed conffile and the account; removing keeps
#      the conffile; purging removes it, the state directory and the account.
#
#   Tests/scripts/package.sh        (exit 0 = every check passed)
#
# Why a scratch root with `dpkg --root=DIR --force-script-chrootless`: it is the real dpkg unpacking the real
# archive and running the real maintainer scripts, with DPKG_ROOT=DIR set, which the scripts honour (useradd
# --prefix, paths under $DPKG_ROOT), so nothing on this machine changes. A chroot would need a whole Debian
# system installed into it (debootstrap: minutes and a mirror); `dpkg-deb -x` would skip the scripts.
# The root is seeded with what a Debian system has and the checks need: /etc/passwd and friends with root,
# systemd's own units (sysinit.target & co., which verify resolves), /bin/kill (ExecReload=), merged /usr.
# --force-depends: the scratch root's dpkg database is empty, so Depends cannot be satisfied there (they are
# checked by lintian and by dpkg-shlibdeps when the package is built).
#
# Binaries: $CRYPTOD_BIN_DIR (scripts/test sets it), else the debug build; nothing is compiled here.
# $CRYPTOD_PACKAGE_CONFIGURATION=release says the binaries are a release build (statically linked Swift
# runtime: what people install), for the same checks on the real package:
#   CRYPTOD_PACKAGE_CONFIGURATION=release CRYPTOD_BIN_DIR=.build-release/release Tests/scripts/package.sh
set -uo pipefail
SCRIPT_NAME=package_test
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
cd "$CHECKOUT"

bin_dir=${CRYPTOD_BIN_DIR:-$(swift build --show-bin-path 2>/dev/null)}
configuration=${CRYPTOD_PACKAGE_CONFIGURATION:-debug}
case $configuration in debug | release) ;; *) fail "CRYPTOD_PACKAGE_CONFIGURATION is debug or release, not $configuration" ;; esac
# The installed cryptod must start its children from /usr/lib/cryptod, not from a build tree.
unset CRYPTOD_BIN_DIR
install_packages lintian dpkg-dev binutils systemd passwd curl python3 util-linux
# Root: dpkg gives the scratch root's files their owners, and unshare needs a mount namespace.
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "needs root (dpkg sets owners in the scratch root); run it as root"
  exec sudo CRYPTOD_BIN_DIR="$bin_dir" CRYPTOD_PACKAGE_CONFIGURATION="$configuration" "$0" "$@"
fi

work=$(mktemp -d /tmp/cryptod-package-test.XXXXXX)
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ]; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$daemon_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
failures=()
check() {  # check DESCRIPTION COMMAND...: records a failure instead of stopping, so one run shows them all
  local what=$1
  shift
  if "$@"; then say "ok: $what"; else failures+=("$what"); say "FAILED: $what"; fi
}

# MARK: - Build

deb=$(scripts/package --configuration "$configuration" --bin-dir "$bin_dir" --output "$work/out") || fail "scripts/package failed"
[ -f "$deb" ] || fail "scripts/package printed $deb, which is no file"

# MARK: - 1. lintian

# --fail-on error,warning: a new warning fails too (lintian's default fails on errors only).
lintian_clean() {
  lintian --fail-on error,warning "$deb" 2>&1 | grep -v "running with root privileges" \
    > "$work/lintian.log"
  local status=${PIPESTATUS[0]}
  cat "$work/lintian.log"
  [ "$status" = 0 ]
}
check "lintian reports no error or warning" lintian_clean

# MARK: - 2. Install into a scratch root

root=$work/root
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" "$root/etc" "$root/var/lib/dpkg/info" \
  "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$root/run"
for dir in bin sbin lib lib64; do ln -s "usr/$dir" "$root/$dir"; done
mkdir -p "$root/usr/lib64"
: > "$root/var/lib/dpkg/status"
: > "$root/var/lib/dpkg/available"
printf 'root:x:0:0:root:/root:/bin/bash\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
printf 'root:*:20000:0:99999:7:::\n' > "$root/etc/shadow"
printf 'root:*::\n' > "$root/etc/gshadow"
chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"
mkdir -p "$root/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/system"
cp -a /usr/bin/kill "$root/usr/bin/kill"

dpkg_root() { dpkg --root="$root" --force-script-chrootless --force-depends --log="$work/dpkg.log" "$@"; }
dpkg_root --install "$deb" > "$work/dpkg-install.log" 2>&1 || { cat "$work/dpkg-install.log" >&2; fail "dpkg --install into $root failed"; }
say "installed $(basename "$deb") into $root"

status_of() { dpkg-query --root="$root" -W -f='${db:Status-Abbrev}' cryptod 2>/dev/null | tr -d ' '; }
check "dpkg says cryptod is installed" test "$(status_of)" = ii

uid=$(awk -F: '$1 == "cryptod" { print $3 }' "$root/etc/passwd")
gid=$(awk -F: '$1 == "cryptod" { print $3 }' "$root/etc/group")
account_ok() {
  local entry
  entry=$(grep '^cryptod:' "$root/etc/passwd") || return 1
  # A system account (uid below 1000), no login shell, home in the state directory, its own group.
  [ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ] && [ -n "$gid" ] \
    && [ "$(cut -d: -f7 <<<"$entry")" = /usr/sbin/nologin ] && [ "$(cut -d: -f6 <<<"$entry")" = /var/lib/cryptod ] \
    && [ "$(cut -d: -f4 <<<"$entry")" = "$gid" ] && ! getent passwd cryptod >/dev/null 2>&1 \
    || { echo "account: ${entry:-missing} (group ${gid:-missing}); host has: $(getent passwd cryptod)"; return 1; }
}
check "the postinst created the cryptod system account in the scratch root (and not on this machine)" account_ok

# PATH MODE OWNER:GROUP (numeric), for each file the package or its postinst is responsible for.
expect_file() {
  local path=$1 mode=$2 owner=$3 actual
  actual=$(stat -c '%a %u:%g' "$root$path" 2>/dev/null) || { echo "missing: $path"; return 1; }
  [ "$actual" = "$mode $owner" ] || { echo "$path: $actual, expected $mode $owner"; return 1; }
}
files_ok() {
  local ok=0 binary
  for binary in cryptod cryptod-ingestor cryptod-scheduler cryptod-writer cryptod-gateway cryptoctl; do
    expect_file "/usr/lib/cryptod/$binary" 755 0:0 || ok=1
  done
  [ ! -e "$root/usr/lib/cryptod/exchsim" ] || { echo "exchsim is a test tool and must not be installed"; ok=1; }
  for link in cryptod cryptoctl; do
    [ "$(readlink "$root/usr/bin/$link")" = "../lib/cryptod/$link" ] || { echo "/usr/bin/$link: not a link to ../lib/cryptod/$link"; ok=1; }
  done
  expect_file /usr/lib/cryptod/cryptod_CryptodGateway.resources 755 0:0 || ok=1
  expect_file /usr/lib/cryptod/cryptod_CryptodGateway.resources/docs-ui/swagger-ui/swagger-ui.css 644 0:0 || ok=1
  expect_file /etc/cryptod 750 "0:$gid" || ok=1
  expect_file /etc/cryptod/cryptod.toml 640 "0:$gid" || ok=1
  cmp -s etc/cryptod.toml "$root/etc/cryptod/cryptod.toml" || { echo "/etc/cryptod/cryptod.toml differs from etc/cryptod.toml"; ok=1; }
  expect_file /var/lib/cryptod 700 "$uid:$gid" || ok=1
  for unit in systemd/*.service systemd/*.target; do
    expect_file "/lib/systemd/system/$(basename "$unit")" 644 0:0 || ok=1
  done
  expect_file /usr/lib/tmpfiles.d/cryptod.conf 644 0:0 || ok=1
  grep -qx 'd /run/cryptod 0700 cryptod cryptod -' "$root/usr/lib/tmpfiles.d/cryptod.conf" || { echo "tmpfiles.d: no /run/cryptod line"; ok=1; }
  expect_file /usr/share/doc/cryptod/copyright 644 0:0 || ok=1
  expect_file /usr/share/doc/cryptod/changelog.gz 644 0:0 || ok=1
  expect_file /usr/share/man/man1/cryptod.1.gz 644 0:0 || ok=1
  expect_file /usr/share/man/man1/cryptoctl.1.gz 644 0:0 || ok=1
  if [ -d etc/prometheus ] && [ -n "$(ls -A etc/prometheus)" ]; then
    # The same files (names, not contents: etc/prometheus may be edited while this runs).
    diff <(cd etc/prometheus && find . | sort) <(cd "$root/usr/share/cryptod/prometheus" && find . | sort) \
      || { echo "/usr/share/cryptod/prometheus holds other files than etc/prometheus"; ok=1; }
  fi
  # Every unit names an installed executable; none is left pointing at /usr/local.
  if grep -n '/usr/local' "$root"/lib/systemd/system/cryptod*; then echo "units still name /usr/local"; ok=1; fi
  local exec
  for exec in $(grep -ho '^ExecStart=[^ ]*' "$root"/lib/systemd/system/cryptod* | cut -d= -f2 | sort -u); do
    [ -x "$root$exec" ] || { echo "ExecStart=$exec is not an installed executable"; ok=1; }
  done
  return $ok
}
check "the files are installed with their modes and owners" files_ok

conffile_ok() {
  dpkg-query --root="$root" -W -f='${Conffiles}\n' cryptod | grep -q '^ /etc/cryptod/cryptod.toml [0-9a-f]\{32\}$'
}
check "/etc/cryptod/cryptod.toml is registered as a conffile" conffile_ok

# MARK: - 3. systemd-analyze verify on the installed units

verify_units() {
  local names=() unit output status=0
  for unit in "$root"/lib/systemd/system/cryptod*; do
    unit=$(basename "$unit")
    names+=("$unit")
    # The template as an instance too, as systemd would run it.
    [[ $unit == *@.service ]] && names+=("${unit%@.service}@binance.service")
  done
  output=$(SYSTEMD_LOG_COLOR=0 systemd-analyze verify --root="$root" --man=no --generators=no "${names[@]}" 2>&1) \
    || status=$?
  echo "verified: ${names[*]}"
  [ "$status" = 0 ] && [ -z "$output" ] || { printf 'systemd-analyze verify exited %s:\n%s\n' "$status" "$output"; return 1; }
}
check "systemd-analyze verify --root passes on the installed units and binaries" verify_units

# MARK: - 4. The installed cryptod validates the installed configuration

check_config() {
  local output
  output=$("$root/usr/bin/cryptod" --check-config "$root/etc/cryptod/cryptod.toml" 2>&1) \
    || { echo "$output"; return 1; }
  echo "$output" | tail -3
}
check "the installed cryptod --check-config accepts /etc/cryptod/cryptod.toml" check_config

# MARK: - 5. The installed binaries run, and the gateway finds its installed resources

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
serves_docs() {
  local rest ws run=$work/run-installed build_dir
  rest=$(free_port)
  ws=$(free_port)
  mkdir -p "$run"
  cat > "$run/cryptod.toml" <<TOML
[daemon]
runtime_dir = "run"
state_dir = "lib"
log_level = "warning"
log_format = "text"
[gateway]
rest_listen = "127.0.0.1:$rest"
ws_listen = "127.0.0.1:$ws"
[writer]
enabled = false
[scheduler]
enabled = false
[exchanges.binance]
enabled = false
[exchanges.bybit]
enabled = false
[exchanges.whitebit]
enabled = false
TOML
  # Bundle.module falls back to the bundle in the build tree it was compiled in; hide that copy (and the
  # build's binaries) so only the installed one can answer. unshare: a private mount namespace, undone when
  # the process exits.
  # The physical path: the accessor names .build/<triple>/debug (or release), which .build/debug links to.
  build_dir=$(cd "$bin_dir" && pwd -P)
  unshare --mount --propagation private sh -c '
    mount -t tmpfs -o ro none "$1" && exec "$2/usr/bin/cryptod" --config "$3"' sh \
    "$build_dir" "$root" "$run/cryptod.toml" > "$run/cryptod.log" 2>&1 &
  daemon_pid=$!
  if ! wait_for_http "http://127.0.0.1:$rest/docs/assets/swagger-ui.css" 60; then
    echo "the installed gateway did not serve /docs/assets/swagger-ui.css within 60 s; log:"
    tail -20 "$run/cryptod.log"
    return 1
  fi
  curl -fsS "http://127.0.0.1:$rest/docs/assets/swagger-ui.css" -o "$run/served.css" \
    && cmp -s "$run/served.css" Sources/CryptodGateway/Resources/docs-ui/swagger-ui/swagger-ui.css \
    || { echo "the served swagger-ui.css differs from the source"; return 1; }
  # The gateway is the installed one: the supervisor started it from its own directory.
  local gateway_pid exe
  gateway_pid=$(pgrep -P "$daemon_pid" -x cryptod-gateway | head -1)
  exe=$(readlink "/proc/$gateway_pid/exe" 2>/dev/null)
  [ "$exe" = "$root/usr/lib/cryptod/cryptod-gateway" ] || { echo "the gateway runs $exe, not the installed binary"; return 1; }
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" 2>/dev/null
  daemon_pid=""
}
check "the installed cryptod starts the installed gateway, which serves /docs from the installed bundle" serves_docs

# MARK: - 6. Upgrade, remove, purge

echo "# changed by the administrator" >> "$root/etc/cryptod/cryptod.toml"
upgrade_ok() {
  dpkg_root --install "$deb" > "$work/dpkg-upgrade.log" 2>&1 || { cat "$work/dpkg-upgrade.log"; return 1; }
  [ "$(status_of)" = ii ] || { echo "status after the upgrade: $(status_of)"; return 1; }
  grep -q '^# changed by the administrator$' "$root/etc/cryptod/cryptod.toml" || { echo "the changed conffile was replaced"; return 1; }
  [ "$(grep -c '^cryptod:' "$root/etc/passwd")" = 1 ] || { echo "the account was created twice"; return 1; }
  expect_file /etc/cryptod/cryptod.toml 640 "0:$gid" && expect_file /var/lib/cryptod 700 "$uid:$gid"
}
check "reinstalling keeps the changed conffile, the account and the ownership" upgrade_ok

touch "$root/var/lib/cryptod/state-file"
remove_ok() {
  dpkg_root --remove cryptod > "$work/dpkg-remove.log" 2>&1 || { cat "$work/dpkg-remove.log"; return 1; }
  [ "$(status_of)" = rc ] || { echo "status after remove: $(status_of)"; return 1; }
  [ ! -e "$root/usr/lib/cryptod/cryptod" ] && [ ! -e "$root/lib/systemd/system/cryptod.service" ] \
    || { echo "files are left after remove"; return 1; }
  [ -f "$root/etc/cryptod/cryptod.toml" ] || { echo "remove deleted the conffile"; return 1; }
  [ -f "$root/var/lib/cryptod/state-file" ] || { echo "remove deleted the state directory"; return 1; }
}
check "remove takes the programs and keeps the configuration and the state" remove_ok

purge_ok() {
  dpkg_root --purge cryptod > "$work/dpkg-purge.log" 2>&1 || { cat "$work/dpkg-purge.log"; return 1; }
  [ -z "$(status_of)" ] || [ "$(status_of)" = un ] || { echo "status after purge: $(status_of)"; return 1; }
  [ ! -e "$root/etc/cryptod" ] || { echo "/etc/cryptod is left after purge: $(ls -A "$root/etc/cryptod")"; return 1; }
  [ ! -e "$root/var/lib/cryptod" ] || { echo "/var/lib/cryptod is left after purge"; return 1; }
  ! grep -q '^cryptod:' "$root/etc/passwd" "$root/etc/group" || { echo "the cryptod account is left after purge"; return 1; }
}
check "purge removes the configuration, the state and the account" purge_ok

if [ ${#failures[@]} -gt 0 ]; then
  say "FAILED:"
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
say "the package builds, is lintian-clean, installs, verifies, runs, upgrades and purges"
