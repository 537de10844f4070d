#!/usr/bin/env bash
# Runs `systemd-analyze verify` on every unit in systemd/ and fails on any error or warning.
#
# systemd-analyze needs no running systemd for `verify`, but it does check that ExecStart= binaries exist and
# are executable. They are not installed on a build machine, so the units are copied to a temporary directory
# with /usr/local/bin/ rewritten to a directory of stub executables; nothing else in them changes.
# The template cryptod-ingestor@.service is verified as itself and as the instance cryptod-ingestor@binance.
#
# User=/Group=cryptod: the `cryptod` account usually does not exist on a build machine. systemd 252's verify
# does not resolve accounts, but to keep the check about the unit files and not this machine's accounts
# whatever systemd does, the copies run as `daemon` (present on every Debian system) when `cryptod` is
# missing. Not `nobody`: verify warns about that one.
#
# Usage: Tests/scripts/systemd_verify.sh [unit-directory]   (default: systemd/ of this repository)
# Exit status: 0 all units clean, 1 a unit produced output or failed, 2 systemd-analyze is missing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
units=${1:-"$repo/systemd"}

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "systemd_verify: systemd-analyze not found (apt-get install systemd)" >&2
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/units"

# Stubs for every binary an ExecStart= names.
grep -ho '/usr/local/bin/[A-Za-z0-9_.-]*' "$units"/*.service | sort -u | while read -r path; do
    stub="$work/bin/$(basename "$path")"
    printf '#!/bin/sh\nexit 0\n' >"$stub"
    chmod 755 "$stub"
done

user_sed=()
if ! getent passwd cryptod >/dev/null 2>&1; then
    user_sed=(-e 's/^User=cryptod$/User=daemon/' -e 's/^Group=cryptod$/Group=daemon/')
fi

shopt -s nullglob
files=("$units"/*.service "$units"/*.target)
if [ ${#files[@]} -eq 0 ]; then
    echo "systemd_verify: no units in $units" >&2
    exit 1
fi
for file in "${files[@]}"; do
    sed -e "s|/usr/local/bin/|$work/bin/|g" ${user_sed[@]+"${user_sed[@]}"} "$file" >"$work/units/$(basename "$file")"
done

# One run over all units: verify loads the units they reference from the same directory anyway, and every
# message names the file and line it is about.
names=()
for file in "$work"/units/*; do
    name=$(basename "$file")
    names+=("./$name")
    if [[ $name == *@.service ]]; then
        instance="${name%@.service}@binance.service"
        ln -s "$name" "$work/units/$instance"
        names+=("./$instance")
    fi
done

status=0
output=$(cd "$work/units" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no --generators=no "${names[@]}" 2>&1) ||
    status=$?
failed=0
if [ "$status" -ne 0 ] || [ -n "$output" ]; then
    failed=1
    echo "systemd-analyze verify exited $status:"
    # Show paths as they are in the repository, not in the temporary copy.
    printf '%s\n' "$output" | sed -e "s|$work/units/|systemd/|g" -e "s|$work/bin/|/usr/local/bin/|g" | sed 's/^/    /'
fi
for name in "${names[@]}"; do
    echo "checked ${name#./}"
done

if [ "$failed" -ne 0 ]; then
    echo "systemd_verify: some units have errors or warnings" >&2
    exit 1
fi
echo "systemd_verify: all ${#names[@]} units verified clean"
