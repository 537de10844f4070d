#!/usr/bin/env python3
"""Loads the gateway's /dashboard in headless Chromium and checks what it shows against REST.

Run by Tests/scripts/dashboard.sh against a running cryptod. Chromium is driven over the DevTools protocol
(its WebSocket, spoken here with the standard library only), so the page runs in real time with its own
WebSocket and polling, and its values are read at the same moment as the REST answers they must equal:

  - the number of connected exchanges (GET /api/v1/exchanges/status),
  - the ticker's last price for the market shown (GET …/ticker/{symbol}), for the same ticker time,
  - the WebSocket client count (the stats topic, /api/v1/stream/websocket/clients or the admin figures),
  - the health score, when GET /api/v1/stream/health exists,
  - and, for every panel whose endpoint answers 404, that the panel says "not available".

It also checks that the order book has both sides in order, that candles were drawn, that the page threw no
JavaScript exception and broke no Content-Security-Policy rule, and that the admin token was accepted
without appearing in the DOM or the address. It saves a full-page screenshot and the rendered DOM.

  check.py --gateway URL --token TOKEN --screenshot PNG --dom HTML [--chromium PATH] [--settle SECONDS]
"""
import argparse
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request


def say(text):
    print("dashboard: " + text, file=sys.stderr, flush=True)


class DevTools:
    """A minimal client of Chromium's DevTools WebSocket: masked text frames out, events collected."""

    def __init__(self, url):
        parts = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("DevTools closed the connection during the handshake")
            head += chunk
        head, self.buffer = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("DevTools refused the WebSocket: " + head.decode(errors="replace"))
        self.next_id = 0
        self.events = []

    def _read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("DevTools closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _message(self):
        payload = b""
        while True:
            first, second = self._read(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if second & 0x80 else None
            data = self._read(length)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if opcode == 0x8:
                raise RuntimeError("DevTools closed the WebSocket")
            if opcode == 0x9:
                self._send_frame(0xA, data)
                continue
            payload += data
            if first & 0x80:
                return json.loads(payload)

    def _send_frame(self, opcode, data):
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        if len(data) < 126:
            header += bytes([0x80 | len(data)])
        elif len(data) < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(data))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(data))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def call(self, method, **params):
        self.next_id += 1
        self._send_frame(0x1, json.dumps({"id": self.next_id, "method": method, "params": params}).encode())
        while True:
            message = self._message()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page expression failed: {result['exceptionDetails']}")
        return result["result"].get("value")


def rest(base, path, token=None):
    """(status, JSON or None) of GET base+path."""
    request = urllib.request.Request(base + path)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body)
        except ValueError:
            return error.code, None


# Everything the comparison needs from the page, read in one evaluation.
PAGE_VALUES = """(() => {
  const $ = (id) => document.getElementById(id);
  const data = (id, key) => ($(id) ? $(id).dataset[key || "value"] : null);
  const text = (id) => ($(id) ? $(id).textContent : null);
  const levels = (id) => [...$(id).querySelectorAll("tr[data-price]")].map((r) => r.dataset.price);
  return {
    live: document.body.dataset.live, wsState: document.body.dataset.wsState,
    statsSource: document.body.dataset.statsSource,
    connected: data("connected-exchanges"), enabled: data("connected-exchanges", "total"),
    tickerLast: data("ticker-last"), tickerTime: data("ticker-last", "time"), tickerSource: data("ticker-last", "source"),
    tickerTopic: data("ticker", "topic"),
    wsClients: data("ws-clients"), wsClientsSource: data("ws-clients", "source"), wsClientsText: text("ws-clients"),
    health: data("health-score"), healthText: text("health-score"),
    tokenState: data("token-state"), hash: location.hash,
    asks: levels("book-asks"), bids: levels("book-bids"), bookState: text("book-state"),
    bookSeq: data("book-state", "seq"), bookUpdateId: data("book-state", "updateId"),
    candles: Number(data("candle-note", "count") || 0),
    panels: {
      stats: text("rates-note"), buffers: text("buffers-table"), workers: text("workers-table"),
      alerts: text("alerts"), health: text("health-status"),
    },
    market: Object.fromEntries(new URLSearchParams(location.search)),
  };
})()"""


def compare(base, token, page):
    """The mismatches between the page and REST right now (empty: everything matches)."""
    problems = []
    status, exchanges = rest(base, "/api/v1/exchanges/status")
    if status != 200:
        return [f"GET /api/v1/exchanges/status answered {status}"]
    enabled = [e for e in exchanges["exchanges"] if e["enabled"]]
    connected = [e for e in enabled if e["connection"] == "connected"]
    if page["connected"] != str(len(connected)) or page["enabled"] != str(len(enabled)):
        problems.append(f"connected exchanges: page {page['connected']}/{page['enabled']}, REST {len(connected)}/{len(enabled)}")

    market = page["market"]
    ticker_path = f"/api/v1/exchanges/{market['exchange']}/ticker/{market['symbol']}?market={market['market']}"
    status, ticker = rest(base, ticker_path)
    if status != 200:
        problems.append(f"GET {ticker_path} answered {status}")
    elif ticker["time"] != page["tickerTime"]:
        problems.append(f"ticker moved on between the two reads (page {page['tickerTime']}, REST {ticker['time']})")
    elif ticker["last"] != page["tickerLast"]:
        problems.append(f"ticker last at {ticker['time']}: page {page['tickerLast']}, REST {ticker['last']}")

    status, stats = rest(base, "/api/v1/stream/stats")
    status_clients, clients = rest(base, "/api/v1/stream/websocket/clients")
    status_admin, admin = rest(base, "/api/v1/admin/websocket/stats", token)
    if status == 200:
        expected = stats["websocket"]["clients"]
    elif status_clients == 200:
        expected = len(clients["clients"])
    elif status_admin == 200:
        expected = admin["clients"]
    else:
        expected = None
        problems.append("no REST endpoint answered the WebSocket client count")
    if expected is not None and page["wsClients"] != str(expected):
        problems.append(f"WebSocket clients: page {page['wsClients']!r} ({page['wsClientsSource']}), REST {expected}")

    status, health = rest(base, "/api/v1/stream/health")
    if status == 200:
        if page["health"] == "" or round(float(page["health"])) != round(health["score"]):
            problems.append(f"health score: page {page['health']!r}, REST {health['score']}")
    elif status == 404 and "not available" not in page["healthText"]:
        problems.append(f"health: REST 404 but the page shows {page['healthText']!r}")

    for panel, path in [("buffers", "/api/v1/stream/buffers"), ("workers", "/api/v1/stream/workers"),
                        ("stats", "/api/v1/stream/stats"), ("alerts", "/api/v1/admin/alerts")]:
        status, _ = rest(base, path, token)
        if status == 404 and "not available" not in page["panels"][panel]:
            problems.append(f"{panel}: {path} answers 404 but the panel shows {page['panels'][panel]!r}")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--dom", required=True)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--settle", type=float, default=12, help="seconds of live data before reading")
    args = parser.parse_args()

    profile = tempfile.mkdtemp(prefix="cryptod-dashboard-chromium.")
    log = open(os.path.join(profile, "chromium.log"), "w")
    browser = subprocess.Popen(
        [args.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         "--window-size=1400,1000", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
         f"--user-data-dir={profile}", "about:blank"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            if time.time() > deadline or browser.poll() is not None:
                say("Chromium did not start its DevTools endpoint; its log:\n" + open(log.name).read()[-3000:])
                return 1
            time.sleep(0.1)
        port = int(open(port_file).read().split("\n")[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page_target = next(t for t in targets if t["type"] == "page")
        tools = DevTools(page_target["webSocketDebuggerUrl"])
        tools.call("Runtime.enable")
        tools.call("Log.enable")
        tools.call("Page.enable")
        tools.call("Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1, mobile=False)
        url = args.gateway + "/dashboard#token=" + urllib.parse.quote(args.token)
        tools.call("Page.navigate", url=args.gateway + "/dashboard#token=" + urllib.parse.quote(args.token))
        say(f"loading {args.gateway}/dashboard in headless Chromium")

        deadline = time.time() + 60
        page = None
        while time.time() < deadline:
            page = tools.evaluate(PAGE_VALUES) if tools.evaluate("!!document.getElementById('ticker-last')") else None
            if page and page["live"] == "true" and page["connected"] and page["wsClients"] and page["bids"]:
                break
            time.sleep(0.5)
        else:
            say(f"the page showed no live data within 60 s: {json.dumps(page)}")
            return 1
        say(f"live data shown (WebSocket {page['wsState']}, stats from {page['statsSource']}); "
            f"letting it run {args.settle:.0f} s")
        time.sleep(args.settle)

        failures = []
        for attempt in range(10):
            page = tools.evaluate(PAGE_VALUES)
            problems = compare(args.gateway, args.token, page)
            # Only a ticker that moved on between the two reads is a reason to look again.
            if not problems or not all("moved on" in p or "WebSocket clients" in p or "health score" in p
                                       for p in problems):
                failures = problems
                break
            failures = problems
            time.sleep(0.7)
        say(f"page: {page['connected']}/{page['enabled']} exchanges connected, {page['tickerTopic']} last "
            f"{page['tickerLast']} at {page['tickerTime']}, {page['wsClients']} WebSocket clients "
            f"({page['wsClientsSource']}), health {page['healthText']!r}")

        if page["tokenState"] != "good":
            failures.append(f"the admin token from the fragment was not accepted (token state {page['tokenState']!r})")
        if page["hash"]:
            failures.append("the token is still in the address bar")
        asks, bids = page["asks"], page["bids"]
        if not asks or not bids:
            failures.append(f"the order book lacks a side ({len(bids)} bids, {len(asks)} asks)")
        else:
            # Asks are listed highest first (best just above the spread), bids best first.
            if float(asks[-1]) <= float(bids[0]):
                market = page["market"]
                _, book = rest(args.gateway, f"/api/v1/exchanges/{market['exchange']}/orderbook/{market['symbol']}"
                                             f"?market={market['market']}&depth=1")
                failures.append(
                    f"crossed book on the page: best ask {asks[-1]} <= best bid {bids[0]} (page: {page['bookState']}, "
                    f"seq {page['bookSeq']}; REST now: update {book and book.get('update_id')}, "
                    f"bid {book and book['bids'][:1]}, ask {book and book['asks'][:1]}, {book and book.get('sync_state')})")
            if [float(a) for a in asks] != sorted((float(a) for a in asks), reverse=True):
                failures.append("asks are not in order")
            if [float(b) for b in bids] != sorted((float(b) for b in bids), reverse=True):
                failures.append("bids are not in order")
        if page["candles"] < 1:
            failures.append("no candle was drawn")

        # Exceptions, and CSP or script errors in the console (failed fetches of absent routes are expected).
        for event in tools.events:
            if event["method"] == "Runtime.exceptionThrown":
                failures.append("JavaScript exception: " + json.dumps(event["params"]["exceptionDetails"])[:400])
            elif event["method"] == "Log.entryAdded":
                entry = event["params"]["entry"]
                if entry["level"] == "error" and entry["source"] in ("security", "javascript"):
                    failures.append(f"console {entry['source']} error: {entry['text'][:300]}")

        dom = tools.evaluate("document.documentElement.outerHTML")
        if args.token in dom:
            failures.append("the admin token appears in the DOM")
        with open(args.dom, "w") as out:
            out.write("<!doctype html>\n" + dom)
        height = tools.evaluate("Math.ceil(document.documentElement.scrollHeight)")
        tools.call("Emulation.setDeviceMetricsOverride", width=1400, height=int(height), deviceScaleFactor=1,
                   mobile=False)
        time.sleep(1.5)  # one redraw of the charts at the new size
        shot = tools.call("Page.captureScreenshot", format="png")
        with open(args.screenshot, "wb") as out:
            out.write(base64.b64decode(shot["data"]))

        if failures:
            for failure in failures:
                say("FAIL: " + failure)
            return 1
        say("the page's values match the REST endpoints")
        return 0
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
