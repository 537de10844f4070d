#!/usr/bin/env bash
# Checks the shipped Prometheus alerting rules (etc/prometheus/cryptod-alerts.yml, generated from
# Sources/CryptodOps/AlertCatalog.swift) with promtool (Debian package prometheus):
#   1. `promtool check rules`: the file is valid and every expression parses;
#   2. `promtool test rules`: the hand-written unit tests in etc/prometheus/tests/ pass (each alert fires on
#      its scenario with the expected labels and annotations, and stays quiet on the quiet one).
# The same scenarios run through the gateway's own evaluator in Tests/CryptodOpsTests/PromtoolScenarioTests.
#
#   Tests/scripts/prometheus_rules.sh        (exit 0 = both passed)
set -uo pipefail
SCRIPT_NAME=prometheus_rules
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
cd "$CHECKOUT"

command -v promtool >/dev/null 2>&1 || install_packages prometheus
command -v promtool >/dev/null 2>&1 || fail "promtool is missing after installing the prometheus package"

promtool check rules etc/prometheus/cryptod-alerts.yml || fail "promtool check rules found problems in etc/prometheus/cryptod-alerts.yml"
say "promtool check rules: $(grep -c '^      - alert:' etc/prometheus/cryptod-alerts.yml) alerting rules are valid"
promtool test rules etc/prometheus/tests/cryptod-alerts.test.yml || fail "promtool test rules failed (etc/prometheus/tests/cryptod-alerts.test.yml)"
say "promtool test rules: $(grep -c '^  - name:' etc/prometheus/tests/cryptod-alerts.test.yml) scenarios pass"
