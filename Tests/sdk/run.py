"""SDK compatibility checks against a running exchsim (Tests/scripts/sdk_compat.sh starts it).

    python Tests/sdk/run.py --ready-file FILE [--venue binance|bybit|whitebit ...]

The ready file is exchsim's `--ready-file` output, `{"binance":PORT,"bybit":PORT,"whitebit":PORT}`.
Exit status 0 when every check passed; the last line is `sdk: N passed, N failed`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sdkcheck  # noqa: E402  (installs the loopback guard before any SDK is imported)

# exchsim's default test key (docs/exchsim.md, APIKeyEntry.defaultTestKey).
TEST_KEY = "ExchsimTestApiKey00000000000000000000000000000000000000000000001"
TEST_SECRET = "ExchsimTestSecret00000000000000000000000000000000000000000000001"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--venue", action="append", choices=["binance", "bybit", "whitebit"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="     [%(name)s] %(message)s")
    with open(args.ready_file) as handle:
        ports = json.load(handle)
    venues = args.venue or ["binance", "bybit", "whitebit"]
    report = sdkcheck.Report()
    for venue in venues:
        if venue not in ports:
            report.failed.append((venue, f"exchsim did not report a {venue} port"))
            continue
        print(f"# {venue} on 127.0.0.1:{ports[venue]}", flush=True)
        module = __import__(f"check_{venue}")
        module.run(report, int(ports[venue]), TEST_KEY, TEST_SECRET)
    return report.summary()


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # SDK socket threads that are not daemons (websocket-client's, pybit's) must not keep the run alive.
    os._exit(code)
