"""Shared harness of the SDK compatibility checks (Tests/sdk/run.py).

Importing this module installs the loopback guard: any attempt to open a connection to (or resolve)
an address outside 127.0.0.0/8 / ::1 raises LoopbackViolation, so a client library that reaches for
the internet fails the run loudly instead of leaking. Every connection the SDKs make goes through
socket.socket.connect (requests/urllib3, websocket-client, httpx, asyncio's selector loop used by
aiohttp and websockets), so patching it covers them all; name resolution is patched as well.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import sys
import threading
import time
import traceback
import urllib.request
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable

# MARK: - Loopback guard


class LoopbackViolation(RuntimeError):
    pass


_violations: list[str] = []
_ALLOWED_NAMES = {"localhost", "127.0.0.1", "::1", "ip6-localhost"}


def _is_loopback_host(host: Any) -> bool:
    if host is None:
        return False
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]")
    if host in _ALLOWED_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str, target: Any) -> None:
    message = f"refused non-loopback {what}: {target!r}"
    _violations.append(message)
    raise LoopbackViolation(message)


def _check_address(address: Any) -> None:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return
    if isinstance(address, tuple) and address and not _is_loopback_host(address[0]):
        _refuse("connection", address)


_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex
_original_getaddrinfo = socket.getaddrinfo
_original_sendto = socket.socket.sendto


def _guarded_connect(self, address):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _original_connect(self, address)


def _guarded_connect_ex(self, address):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _original_connect_ex(self, address)


def _guarded_sendto(self, data, *args):  # type: ignore[no-untyped-def]
    address = args[-1] if args else None
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _original_sendto(self, data, *args)


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if host is not None and not _is_loopback_host(host):
        _refuse("name resolution", host)
    return _original_getaddrinfo(host, *args, **kwargs)


def install_loopback_guard() -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = _guarded_sendto  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]
    # aiohttp resolves names with aiodns (c-ares, its own sockets) when installed: refuse there too.
    try:
        import aiohttp.resolver as resolver

        for cls_name in ("AsyncResolver", "ThreadedResolver"):
            cls = getattr(resolver, cls_name, None)
            if cls is None:
                continue
            original = cls.resolve

            async def resolve(self, host, *args, _original=original, **kwargs):  # type: ignore[no-untyped-def]
                if not _is_loopback_host(host):
                    _refuse("name resolution (aiohttp)", host)
                return await _original(self, host, *args, **kwargs)

            cls.resolve = resolve  # type: ignore[method-assign]
    except ImportError:
        pass


def violations() -> list[str]:
    return list(_violations)


install_loopback_guard()

# MARK: - Checks


class CheckFailed(AssertionError):
    pass


def ensure(condition: Any, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


class Report:
    """Named checks, each passing or failing; printed as they run."""

    def __init__(self) -> None:
        self.passed: list[str] = []
        self.failed: list[tuple[str, str]] = []

    def run(self, name: str, body: Callable[[], Any]) -> Any:
        started = time.monotonic()
        try:
            result = body()
            if asyncio.iscoroutine(result):
                result = asyncio.run(result)
        except Exception as error:  # noqa: BLE001 - every failure is reported
            detail = f"{type(error).__name__}: {error}"
            if not isinstance(error, CheckFailed):
                detail += "\n" + "".join(traceback.format_exception(error)[-6:])
            self.failed.append((name, detail))
            print(f"FAIL - {name}\n       {detail.strip()}", flush=True)
            return None
        self.passed.append(name)
        print(f"ok   - {name} ({time.monotonic() - started:.1f}s)", flush=True)
        return result

    def summary(self) -> int:
        leaks = violations()
        for leak in leaks:
            self.failed.append(("loopback guard", leak))
        print()
        if self.failed:
            print("failed checks:")
            for name, detail in self.failed:
                print(f"  - {name}: {detail.splitlines()[0]}")
        print(f"sdk: {len(self.passed)} passed, {len(self.failed)} failed")
        return 0 if not self.failed else 1


# MARK: - Values


def dec(value: Any, what: str = "value") -> Decimal:
    """A decimal parsed from the SDK's value (string, int or float), exactly as printed."""
    ensure(value is not None, f"{what} is missing")
    ensure(not isinstance(value, bool), f"{what} is a bool: {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise CheckFailed(f"{what} is not a decimal: {value!r}") from None
    ensure(result.is_finite(), f"{what} is not finite: {value!r}")
    return result


def on_grid(value: Any, step: Decimal, what: str) -> None:
    number = dec(value, what)
    ensure(number % step == 0, f"{what} {value!r} is not a multiple of {step}")


def positive(value: Any, what: str) -> Decimal:
    number = dec(value, what)
    ensure(number > 0, f"{what} is not positive: {value!r}")
    return number


def check_book(bids: list, asks: list, tick: Decimal, lot: Decimal | None, what: str, depth: int | None = None) -> None:
    """Bids strictly descending, asks strictly ascending, best bid < best ask, prices on the tick grid."""
    ensure(bids and asks, f"{what}: empty side (bids {len(bids)}, asks {len(asks)})")
    if depth is not None:
        ensure(len(bids) <= depth and len(asks) <= depth, f"{what}: more than {depth} levels")
    bid_prices = [dec(level[0], f"{what} bid price") for level in bids]
    ask_prices = [dec(level[0], f"{what} ask price") for level in asks]
    ensure(all(a > b for a, b in zip(bid_prices, bid_prices[1:])), f"{what}: bids not strictly descending")
    ensure(all(a < b for a, b in zip(ask_prices, ask_prices[1:])), f"{what}: asks not strictly ascending")
    ensure(bid_prices[0] < ask_prices[0], f"{what}: crossed book {bid_prices[0]} >= {ask_prices[0]}")
    for price in bid_prices + ask_prices:
        ensure(price % tick == 0, f"{what}: price {price} off the tick {tick}")
    for level in list(bids) + list(asks):
        amount = positive(level[1], f"{what} amount")
        if lot is not None:
            ensure(amount % lot == 0, f"{what}: amount {amount} off the lot {lot}")


def ascending(values: Iterable[Any], what: str, strict: bool = True) -> None:
    items = list(values)
    pairs = list(zip(items, items[1:]))
    ok = all(a < b for a, b in pairs) if strict else all(a <= b for a, b in pairs)
    ensure(ok, f"{what} not {'strictly ' if strict else ''}ascending: {items[:6]}…")


# MARK: - exchsim ground truth


def sim_get(port: int, path: str) -> Any:
    """GET an exchsim admin path (/_sim/…) on loopback and decode the JSON answer."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return json.loads(response.read())


def sim_markets(port: int) -> dict[str, dict[str, Any]]:
    """exchsim's markets by venue-neutral BASE/QUOTE, with Decimal tick and lot."""
    markets = {}
    for item in sim_get(port, "/_sim/markets"):
        item = dict(item)
        item["tick"] = Decimal(item["tickSize"])
        item["lot"] = Decimal(item["lotSize"])
        markets[f"{item['base']}/{item['quote']}"] = item
    return markets


def busiest_markets(markets: dict[str, dict[str, Any]], count: int = 4) -> list[dict[str, Any]]:
    """The `count` trading markets with the most orders per minute, busiest first.

    exchsim's trade tape has lulls, as a thin real market does: over two simulated weeks about 2 % of
    BTCUSDT's minutes had no trade and the longest quiet run was 10 minutes. A check that needs a trade
    message watches several busy markets (each tape is hashed on its own, so their lulls are independent)
    and takes the first to trade, so one market's lull cannot fail an otherwise healthy run.
    """
    trading = [market for market in markets.values() if market["status"] == "TRADING"]
    return sorted(trading, key=lambda market: -float(market["ordersPerMinute"]))[:count]


async def watch_first_trades(exchange: Any, symbols: list[str], timeout: float) -> list[dict[str, Any]]:
    """ccxt.pro trades of whichever of `symbols` trades first (see `busiest_markets`).

    One `watch_trades_for_symbols` subscription where the exchange has it (Binance allows five incoming
    messages a second, so four separate subscriptions at once would be refused), else one `watch_trades`
    per symbol raced against each other.
    """
    if exchange.has.get("watchTradesForSymbols"):
        return await asyncio.wait_for(exchange.watch_trades_for_symbols(symbols), timeout)
    tasks = [asyncio.ensure_future(exchange.watch_trades(symbol)) for symbol in symbols]
    try:
        done, _ = await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if not done:
        raise CheckFailed(f"timed out after {timeout:.0f}s waiting for a trade on any of {', '.join(symbols)}")
    return next(iter(done)).result()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise CheckFailed(f"timed out after {timeout:.0f}s waiting for {what}")


def bounded(action: Callable[[], object], seconds: float, what: str) -> None:
    """Runs a client's close/stop on a daemon thread and gives up after `seconds`.

    Some SDK closers wait for their socket thread in a loop with no deadline (pybit's `exit`); under a
    loaded machine that must not hang the whole run. A closer that overruns is reported, not waited for.
    """
    worker = threading.Thread(target=action, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        log(f"{what} did not finish within {seconds:.0f}s; left to the process exit")


def log(message: str) -> None:
    print(f"     {message}", file=sys.stdout, flush=True)


# MARK: - Client settings


def local_urls(urls: Any, port: int) -> Any:
    """Every URL of a ccxt `urls['api']` tree with its scheme and host replaced by exchsim's loopback
    address (https → http, wss → ws; the path is kept): how the checks point ccxt at exchsim. Paths
    exchsim does not serve then reach exchsim (and get its 404), never the exchange."""
    if isinstance(urls, dict):
        return {key: local_urls(value, port) for key, value in urls.items()}
    if isinstance(urls, list):
        return [local_urls(value, port) for value in urls]
    if isinstance(urls, str) and "://" in urls:
        scheme, rest = urls.split("://", 1)
        path = rest[rest.find("/"):] if "/" in rest else ""
        plain = {"https": "http", "http": "http", "wss": "ws", "ws": "ws"}[scheme]
        return f"{plain}://127.0.0.1:{port}{path}"
    return urls
