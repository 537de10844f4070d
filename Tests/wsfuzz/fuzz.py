"""Fuzzes the gateway's client WebSocket (Tests/scripts/ws_fuzz.sh starts the stack).

Each case opens a connection and sends generated frames: random JSON values over the request vocabulary,
valid requests with one field mutated, truncated or padded JSON, garbage text, binary frames, deeply
nested documents, requests over the 64 KiB limit, too many topics, bursts. After each frame the gateway
must either answer (any JSON object: a reply, or an error with a code and a message) or close the
connection with a close code that says why (1003, 1007, 1008, 1009); silence for 5 s, a close without a
close frame (1006) or an internal error (1011) fails the case. A connection left open must still answer
a ping. At the end the gateway must still be the same process, healthy, and serving live data to a new
client. Prints the seed; FUZZ_SEED=N reproduces a run.
"""

import asyncio
import json
import os
import random
import sys
import time
import urllib.request

import websockets

ws_url, rest_url, cases = sys.argv[1], sys.argv[2], int(sys.argv[3])
seed = int(os.environ.get("FUZZ_SEED", str(int(time.time()))))
rng = random.Random(seed)
ALLOWED_CLOSE = {1003, 1007, 1008, 1009}
KEYS = ["type", "op", "stream", "exchange", "symbol", "market", "topics", "interval", "timeframe",
        "resume_from", "epoch", "id", "depth", "limit"]
WORDS = ["subscribe", "unsubscribe", "list", "ping", "ticker", "trades", "trade", "kline", "orderbook",
         "book", "candles", "binance", "bybit", "whitebit", "BTCUSDT", "BTC/USDT", "BTC_USDT", "spot",
         "linear", "1m", "1M", "ticker.*.*", "trades.binance.*", "book.bybit:linear.ETHUSDT", "*", "",
         "stats", "\u0000", "\ud7ff", "😀", "a" * 300]
VALID = [
    {"type": "subscribe", "stream": "ticker", "exchange": "binance", "symbol": "BTCUSDT"},
    {"type": "unsubscribe", "stream": "trade", "exchange": "binance", "symbol": "BTC/USDT"},
    {"type": "subscribe", "stream": "kline", "exchange": "binance", "symbol": "BTCUSDT", "interval": "1m"},
    {"type": "subscribe", "stream": "orderbook", "exchange": "binance", "symbol": "BTCUSDT",
     "resume_from": 3, "epoch": "1"},
    {"op": "subscribe", "topics": ["trades.binance.*"], "id": 1},
    {"op": "unsubscribe", "topics": ["ticker.*.*"]},
    {"op": "list"},
    {"type": "ping"},
]


def value(depth=0):
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, -1, 1, 2**31, 2**63, -2**63, 2**64 + 7, 1e308, -0.0, 3.5])
    if kind in (2, 3, 4):
        return rng.choice(WORDS)
    if kind == 5:
        return "".join(chr(rng.randrange(1, 0xD7FF)) for _ in range(rng.randrange(0, 12)))
    if kind in (6, 7):
        return {rng.choice(KEYS) if rng.random() < 0.8 else rng.choice(WORDS): value(depth + 1)
                for _ in range(rng.randrange(0, 6))}
    return [value(depth + 1) for _ in range(rng.randrange(0, 5))]


def mutated():
    request = dict(rng.choice(VALID))
    key = rng.choice(list(request) + [rng.choice(KEYS)])
    action = rng.randrange(3)
    if action == 0:
        request.pop(key, None)
    else:
        request[key] = value(1)
    return json.dumps(request)


def frame():
    """One generated frame: (payload, is_text, kind)."""
    kind = rng.choice(["json", "json", "mutated", "mutated", "mutated", "truncated", "garbage", "binary",
                       "nested", "oversized", "topics", "both", "scalar"])
    if kind == "json":
        return json.dumps(value()), True, kind
    if kind == "mutated":
        return mutated(), True, kind
    if kind == "truncated":
        text = json.dumps(rng.choice(VALID))
        cut = rng.randrange(0, len(text))
        return text[:cut] + rng.choice(["", "}", "]", ",", "\"", "\\", "{{", " trailing"]), True, kind
    if kind == "garbage":
        return "".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(rng.randrange(1, 200))), True, kind
    if kind == "binary":
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))), False, kind
    if kind == "nested":
        depth = rng.choice([64, 1000, 20000])
        return "[" * depth + "]" * depth if rng.random() < 0.5 else '{"op":' * depth + "1" + "}" * depth, True, kind
    if kind == "oversized":
        return json.dumps({"op": "subscribe", "topics": ["ticker.binance.BTCUSDT"], "pad": "x" * 70_000}), True, kind
    if kind == "topics":
        return json.dumps({"op": "subscribe", "topics": [f"ticker.binance.S{i}" for i in range(rng.choice([257, 300, 2000]))]}), True, kind
    if kind == "both":
        return json.dumps({"type": "subscribe", "op": "subscribe", "topics": []}), True, kind
    return json.dumps(value(5)), True, kind


failures = []
counts = {}


async def answered(ws):
    """What the gateway did with the last frame: ('reply', obj) or ('closed', code)."""
    try:
        message = await asyncio.wait_for(ws.recv(), timeout=5)
    except asyncio.TimeoutError:
        return ("silent", None)
    except websockets.ConnectionClosed as closed:
        return ("closed", closed.rcvd.code if closed.rcvd else 1006)
    try:
        return ("reply", json.loads(message))
    except (TypeError, ValueError):
        return ("bad-reply", message[:200] if isinstance(message, str) else message[:50])


async def one_case(index):
    frames = [frame() for _ in range(rng.choice([1, 1, 1, 2, 3, 20]))]
    async with websockets.connect(ws_url, max_size=None, ping_interval=None, close_timeout=2) as ws:
        for payload, is_text, kind in frames:
            counts[kind] = counts.get(kind, 0) + 1
            try:
                await ws.send(payload if is_text else payload)
            except websockets.ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else 1006
                if code not in ALLOWED_CLOSE:
                    failures.append(f"case {index} ({kind}): closed with {code} while sending; the case's frames: "
                                    + ", ".join(f"{k} ({len(p)} bytes)" for p, _, k in frames))
                return
            while True:
                outcome, detail = await answered(ws)
                if outcome == "reply":
                    if not isinstance(detail, dict):
                        failures.append(f"case {index} ({kind}): reply is not a JSON object: {str(detail)[:200]}")
                        return
                    if detail.get("type") == "error" or detail.get("op") == "error":
                        if not detail.get("code") or not detail.get("message"):
                            failures.append(f"case {index} ({kind}): an error without code or message: {detail}")
                        break
                    # Events of an accidental valid subscription (a resumed one adds a resync, a book not yet
                    # synced a book_pending), heartbeats: read on until the answer. Taking one of them for the
                    # answer would put the replies one frame behind, and the next frame would then be sent
                    # into a connection the gateway is closing (a 1006 that is the fuzzer's own doing).
                    if detail.get("type") in ("ticker", "trades", "candle", "candles", "book_snapshot", "book_delta",
                                              "book_pending", "resync", "broadcast", "heartbeat", "stream_gap",
                                              "source_status", "stats"):
                        continue
                    break
                if outcome == "closed":
                    if detail not in ALLOWED_CLOSE:
                        failures.append(f"case {index} ({kind}): closed with {detail} (expected one of {sorted(ALLOWED_CLOSE)})")
                    return
                failures.append(f"case {index} ({kind}): {outcome} after {payload[:120]!r}")
                return
        # Still open: it must still answer.
        await ws.send(json.dumps({"op": "ping", "id": "alive"}))
        while True:
            outcome, detail = await answered(ws)
            if outcome == "reply" and isinstance(detail, dict) and detail.get("op") == "pong":
                return
            if outcome != "reply":
                failures.append(f"case {index}: no pong after the case ({outcome} {detail})")
                return


def status():
    with urllib.request.urlopen(f"{rest_url}/api/v1/status", timeout=10) as answer:
        return json.loads(answer.read())


def gateway_process(document):
    """(pid, restarts) of the gateway, as the supervisor reports them."""
    for process in document.get("processes", []):
        if process.get("name") == "gateway":
            supervisor = process.get("supervisor") or {}
            return (supervisor.get("pid") or process.get("pid"), supervisor.get("restarts", process.get("restarts")))
    return (None, None)


async def main():
    before = gateway_process(status())
    started = time.time()
    for index in range(cases):
        try:
            await one_case(index)
        except (OSError, websockets.InvalidHandshake) as error:
            failures.append(f"case {index}: could not connect: {error}")
    # The gateway is the same process, healthy, and serves a new client live data.
    after = gateway_process(status())
    if before[0] is None or before != after:
        failures.append(f"the gateway restarted during the fuzzing: {before} then {after}")
    with urllib.request.urlopen(f"{rest_url}/health", timeout=10) as answer:
        if answer.status != 200:
            failures.append(f"/health answered {answer.status} after the fuzzing")
    async with websockets.connect(ws_url, max_size=None) as ws:
        await ws.send(json.dumps({"op": "subscribe", "topics": ["ticker.binance.BTCUSDT"]}))
        deadline = time.time() + 30
        live = False
        while time.time() < deadline and not live:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
            live = message.get("type") == "ticker"
        if not live:
            failures.append("a new client got no ticker within 30 s after the fuzzing")
    print(f"ws_fuzz: seed {seed}: {cases} connections, {sum(counts.values())} frames "
          f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}) in {time.time() - started:.0f} s")


asyncio.run(main())
for failure in failures[:40]:
    print(f"ws_fuzz: FAILED: {failure}", file=sys.stderr)
if failures:
    print(f"ws_fuzz: {len(failures)} failures; reproduce with FUZZ_SEED={seed}", file=sys.stderr)
    sys.exit(1)
print("ws_fuzz: every frame answered or refused with a close code that says why; the gateway stayed up")
