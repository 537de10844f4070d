"""Bybit V5 through the official pybit (HTTP and WebSocket) and ccxt (REST and ccxt.pro), unmodified."""

from __future__ import annotations

import asyncio
import copy
import threading
from decimal import Decimal

from sdkcheck import (
    CheckFailed,
    Report,
    ascending,
    bounded,
    busiest_markets,
    check_book,
    dec,
    ensure,
    local_urls,
    log,
    on_grid,
    positive,
    sim_get,
    sim_markets,
    wait_until,
    watch_first_trades,
)

SYMBOL = "BTCUSDT"
UNIFIED = "BTC/USDT"
LINEAR = "BTC/USDT:USDT"


def pybit_http(port: int, **kwargs):  # type: ignore[no-untyped-def]
    """pybit builds https://api.bybit.com from testnet/domain/tld; the `endpoint` attribute it computes
    is the base URL every call uses, so pointing it at exchsim is one assignment."""
    from pybit.unified_trading import HTTP

    session = HTTP(**kwargs)
    session.endpoint = f"http://127.0.0.1:{port}"
    return session


def pybit_checks(report: Report, port: int, key: str, secret: str) -> None:
    from pybit.exceptions import InvalidRequestError

    session = pybit_http(port)
    markets = sim_markets(port)
    btc = markets[UNIFIED]

    def server_time() -> None:
        answer = session.get_server_time()
        ensure(answer["retCode"] == 0 and answer["retMsg"] == "OK", f"envelope {answer}")
        seconds = int(answer["result"]["timeSecond"])
        nanos = int(answer["result"]["timeNano"])
        ensure(nanos // 1_000_000_000 == seconds, "timeNano and timeSecond disagree")
        ensure(abs(seconds * 1000 - sim_get(port, "/_sim/clock")["now"]) < 60_000, "server time far from the simulator clock")

    report.run("pybit: get_server_time", server_time)

    def instruments() -> None:
        spot = session.get_instruments_info(category="spot")["result"]
        names = {item["symbol"] for item in spot["list"]}
        ensure(names == {m["symbol"] for m in markets.values()}, f"spot instruments {sorted(names)[:4]}…")
        item = next(i for i in spot["list"] if i["symbol"] == SYMBOL)
        ensure(dec(item["priceFilter"]["tickSize"]) == btc["tick"], "spot tickSize")
        ensure(dec(item["lotSizeFilter"]["basePrecision"]) == btc["lot"], "spot basePrecision")
        linear = session.get_instruments_info(category="linear", limit=5)["result"]
        ensure(len(linear["list"]) == 5 and linear["nextPageCursor"], "linear page of 5 with a cursor")
        rest = session.get_instruments_info(category="linear", cursor=linear["nextPageCursor"])["result"]
        ensure(not {i["symbol"] for i in rest["list"]} & {i["symbol"] for i in linear["list"]}, "pages overlap")

    report.run("pybit: get_instruments_info (spot, linear with cursor)", instruments)

    def tickers() -> None:
        one = session.get_tickers(category="spot", symbol=SYMBOL)["result"]
        ensure(one["category"] == "spot" and len(one["list"]) == 1, "one spot ticker")
        ticker = one["list"][0]
        ensure(dec(ticker["bid1Price"]) < dec(ticker["ask1Price"]), "spot ticker crossed")
        ensure(dec(ticker["lowPrice24h"]) <= dec(ticker["lastPrice"]) <= dec(ticker["highPrice24h"]), "last outside 24h range")
        on_grid(ticker["lastPrice"], btc["tick"], "spot lastPrice")
        every = session.get_tickers(category="spot")["result"]["list"]
        ensure(len(every) == len(markets), f"{len(every)} spot tickers")
        linear = session.get_tickers(category="linear", symbol=SYMBOL)["result"]["list"][0]
        dec(linear["fundingRate"], "fundingRate")
        positive(linear["markPrice"], "markPrice")
        ensure(int(linear["nextFundingTime"]) % 3_600_000 == 0, "nextFundingTime not on the hour")

    report.run("pybit: get_tickers (spot one, spot all, linear)", tickers)

    def kline() -> None:
        now = int(session.get_server_time()["result"]["timeSecond"]) * 1000
        start = (now // 900_000 - 8) * 900_000
        rows = session.get_kline(category="spot", symbol=SYMBOL, interval="15", start=start, limit=200)["result"]["list"]
        times = [int(r[0]) for r in rows]
        # Every 15-minute candle from start to the current one, newest first (9, or 10 if a boundary
        # passed between the two calls).
        ensure(times == list(range(max(times), start - 1, -900_000)) and len(times) in (9, 10),
               f"15m candles from {start}: {times}")
        for row in rows:
            o, h, low, c = (dec(v, "ohlc") for v in row[1:5])
            ensure(low <= min(o, c) and h >= max(o, c), f"OHLC inconsistent {row}")
            on_grid(row[1], btc["tick"], "kline open")
        limited = session.get_kline(category="linear", symbol=SYMBOL, interval="D", limit=3)["result"]["list"]
        ensure(len(limited) == 3 and all(int(r[0]) % 86_400_000 == 0 for r in limited), "daily klines")

    report.run("pybit: get_kline (start, limit; spot and linear)", kline)

    def orderbook() -> None:
        book = session.get_orderbook(category="spot", symbol=SYMBOL, limit=50)["result"]
        ensure(book["s"] == SYMBOL and isinstance(book["u"], int) and isinstance(book["seq"], int), "orderbook ids")
        check_book(book["b"], book["a"], btc["tick"], btc["lot"], "spot orderbook", depth=50)
        truth = sim_get(port, f"/_sim/book?symbol={SYMBOL}&updateId={book['seq']}&limit=50")
        ensure([Decimal(p) for p, _ in truth["bids"]] == [Decimal(p) for p, _ in book["b"]], "bids differ from the true book")
        linear = session.get_orderbook(category="linear", symbol=SYMBOL)["result"]
        check_book(linear["b"], linear["a"], btc["tick"], btc["lot"], "linear orderbook", depth=25)

    report.run("pybit: get_orderbook (spot = /_sim/book at seq, linear)", orderbook)

    def trades() -> None:
        rows = session.get_public_trade_history(category="spot", symbol=SYMBOL, limit=20)["result"]["list"]
        ensure(len(rows) == 20, f"{len(rows)} trades")
        times = [int(r["time"]) for r in rows]
        ensure(times == sorted(times, reverse=True), "recent trades not newest first")
        for row in rows:
            ensure(row["side"] in ("Buy", "Sell"), f"side {row['side']}")
            on_grid(row["price"], btc["tick"], "trade price")
            on_grid(row["size"], btc["lot"], "trade size")

    report.run("pybit: get_public_trade_history", trades)

    def errors() -> None:
        try:
            session.get_orderbook(category="spot", symbol="NOPEUSDT")
        except InvalidRequestError as error:
            ensure(error.status_code == 10001, f"unknown symbol gave {error.status_code}")
        else:
            raise CheckFailed("unknown symbol did not raise InvalidRequestError")

    report.run("pybit: unknown symbol -> InvalidRequestError 10001", errors)

    def signed() -> None:
        private = pybit_http(port, api_key=key, api_secret=secret)
        info = private.get_api_key_information()["result"]
        ensure(info["apiKey"] == key and info["readOnly"] in (0, 1), f"query-api {info.get('apiKey')}")
        wallet = private.get_wallet_balance(accountType="UNIFIED")["result"]["list"][0]
        ensure(wallet["accountType"] == "UNIFIED" and wallet["coin"], "wallet balance")
        for coin in wallet["coin"]:
            dec(coin["walletBalance"], f"{coin['coin']} walletBalance")
        only = private.get_wallet_balance(accountType="UNIFIED", coin="BTC,USDT")["result"]["list"][0]["coin"]
        ensure({c["coin"] for c in only} <= {"BTC", "USDT"}, "coin= filter")
        wrong = pybit_http(port, api_key=key, api_secret=secret[:-1] + "2")
        try:
            wrong.get_wallet_balance(accountType="UNIFIED")
        except InvalidRequestError as error:
            ensure(error.status_code == 10004 and "error sign" in error.message, f"wrong secret gave {error}")
        else:
            raise CheckFailed("a wrong secret was accepted")
        unknown = pybit_http(port, api_key="x" * 18, api_secret=secret)
        try:
            unknown.get_api_key_information()
        except InvalidRequestError as error:
            ensure(error.status_code == 10003, f"unknown key gave {error}")
        else:
            raise CheckFailed("an unknown key was accepted")

    report.run("pybit: get_api_key_information, get_wallet_balance signed; wrong secret -> 10004, unknown key -> 10003", signed)


def pybit_stream_checks(report: Report, port: int) -> None:
    import pybit.unified_trading as unified

    markets = sim_markets(port)
    btc = markets[UNIFIED]
    traded = busiest_markets(markets)  # any one of them may be in a lull
    ticks = {market["symbol"]: market["tick"] for market in traded}

    def streams() -> None:
        # pybit formats "wss://{SUBDOMAIN}.{DOMAIN}.com/v5/public/{CHANNEL_TYPE}" into the stream URL;
        # the module constant is the only place the host lives.
        unified.PUBLIC_WSS = f"ws://127.0.0.1:{port}/v5/public/{{CHANNEL_TYPE}}"
        received: dict[str, list[dict]] = {"orderbook": [], "tickers": [], "publicTrade": [], "kline": []}
        lock = threading.Lock()

        def collect(kind: str):  # type: ignore[no-untyped-def]
            def handle(message: dict) -> None:
                with lock:
                    received[kind].append(copy.deepcopy(message))
            return handle

        ws = unified.WebSocket(testnet=False, channel_type="spot")
        linear = unified.WebSocket(testnet=False, channel_type="linear")
        try:
            ws.orderbook_stream(depth=50, symbol=SYMBOL, callback=collect("orderbook"))
            ws.ticker_stream(symbol=SYMBOL, callback=collect("tickers"))
            ws.trade_stream(symbol=[market["symbol"] for market in traded], callback=collect("publicTrade"))
            linear.kline_stream(interval=1, symbol=SYMBOL, callback=collect("kline"))

            def enough() -> bool:
                with lock:
                    return len(received["orderbook"]) >= 5 and all(received[k] for k in ("tickers", "kline", "publicTrade"))

            wait_until(enough, 60, "orderbook, ticker, kline and trade messages")
        finally:
            bounded(ws.exit, 15, "pybit spot WebSocket exit")
            bounded(linear.exit, 15, "pybit linear WebSocket exit")
        # pybit keeps the book itself (snapshot, then deltas applied in place) and hands the callback
        # its whole local book each time: after the last message it must equal the true book.
        books = received["orderbook"]
        ids = [message["data"]["u"] for message in books]
        ensure(ids == list(range(ids[0], ids[0] + len(ids))), f"orderbook u not consecutive: {ids[:8]}")
        last = books[-1]["data"]
        bid_levels = sorted(last["b"], key=lambda level: -Decimal(level[0]))
        ask_levels = sorted(last["a"], key=lambda level: Decimal(level[0]))
        check_book(bid_levels, ask_levels, btc["tick"], btc["lot"], "pybit's book (snapshot + deltas)", depth=50)
        truth = sim_get(port, f"/_sim/book?symbol={SYMBOL}&updateId={last['seq']}&limit=50")
        for side, levels in (("bids", bid_levels), ("asks", ask_levels)):
            ensure([(Decimal(p), Decimal(q)) for p, q in truth[side]] == [(Decimal(p), Decimal(q)) for p, q in levels],
                   f"pybit's {side} differ from /_sim/book at seq {last['seq']}")
        ticker = received["tickers"][0]["data"]
        ensure(ticker["symbol"] == SYMBOL, "ticker symbol")
        on_grid(ticker["lastPrice"], btc["tick"], "stream lastPrice")
        for trade in received["publicTrade"][0]["data"]:
            ensure(trade["s"] in ticks and trade["S"] in ("Buy", "Sell"), f"trade {trade}")
            on_grid(trade["p"], ticks[trade["s"]], "stream trade price")
        candle = received["kline"][0]["data"][0]
        ensure(candle["end"] == candle["start"] + 59_999, f"kline {candle}")
        log(f"{len(books)} orderbook messages")

    report.run("pybit WebSocket: orderbook.50 (snapshot+deltas = /_sim/book), tickers, publicTrade (spot), kline (linear)", streams)


def ccxt_config(key: str | None, secret: str | None) -> dict:
    return {
        "apiKey": key,
        "secret": secret,
        # Markets of the categories exchsim serves; the account mode instead of asking the private
        # /v5/account/info; currencies come from /v5/asset/coin/query-info (private, not simulated).
        "options": {"fetchMarkets": ["spot", "linear"], "enableUnifiedAccount": True, "enableUnifiedMargin": False},
        "has": {"fetchCurrencies": False},
    }


def ccxt_checks(report: Report, port: int, key: str, secret: str) -> None:
    import ccxt

    markets = sim_markets(port)
    btc = markets[UNIFIED]

    def make(api_secret: str = secret):  # type: ignore[no-untyped-def]
        exchange = ccxt.bybit(ccxt_config(key, api_secret))
        exchange.urls["api"] = local_urls(exchange.urls["api"], port)
        return exchange

    exchange = make()

    def load_markets() -> None:
        loaded = exchange.load_markets()
        spot = {s for s, m in loaded.items() if m["spot"]}
        ensure(spot == set(markets), f"spot markets differ: {sorted(spot ^ set(markets))[:6]}")
        linear = {s for s, m in loaded.items() if m["linear"]}
        ensure(LINEAR in linear, "BTC/USDT:USDT missing")
        market = loaded[UNIFIED]
        ensure(Decimal(str(market["precision"]["price"])) == btc["tick"], f"price precision {market['precision']}")
        ensure(Decimal(str(market["precision"]["amount"])) == btc["lot"], f"amount precision {market['precision']}")

    report.run("ccxt bybit: load_markets (spot + linear)", load_markets)

    def server_time() -> None:
        ensure(abs(exchange.fetch_time() - sim_get(port, "/_sim/clock")["now"]) < 60_000, "fetch_time")

    report.run("ccxt bybit: fetch_time", server_time)

    def tickers() -> None:
        for symbol in (UNIFIED, LINEAR):
            ticker = exchange.fetch_ticker(symbol)
            ensure(ticker["bid"] < ticker["ask"], f"{symbol} bid >= ask")
            ensure(ticker["low"] <= ticker["last"] <= ticker["high"], f"{symbol} last outside range")
        spot = exchange.fetch_tickers(params={"type": "spot"})
        ensure({s for s in spot} == set(markets), f"fetch_tickers(spot) gave {len(spot)}")
        two = exchange.fetch_tickers([UNIFIED, "ETH/USDT"])
        ensure(set(two) == {UNIFIED, "ETH/USDT"}, f"fetch_tickers([..]) gave {sorted(two)}")

    report.run("ccxt bybit: fetch_ticker (spot, linear), fetch_tickers (all spot, list)", tickers)

    def ohlcv() -> None:
        now = exchange.fetch_time()
        since = (now // 3_600_000 - 6) * 3_600_000 + 1
        candles = exchange.fetch_ohlcv(UNIFIED, "1h", since=since, limit=100)
        ascending([c[0] for c in candles], "candle times")
        ensure(candles[0][0] >= since and candles[0][0] - since < 3_600_000, "since not respected")
        ensure(len(candles) in (6, 7), f"{len(candles)} candles")
        limited = exchange.fetch_ohlcv(LINEAR, "1m", limit=5)
        ensure(len(limited) == 5, "limit=5")
        ascending([c[0] for c in limited], "linear candle times")

    report.run("ccxt bybit: fetch_ohlcv (since, limit; spot and linear)", ohlcv)

    def order_book() -> None:
        book = exchange.fetch_order_book(UNIFIED, limit=50)
        check_book(book["bids"], book["asks"], btc["tick"], btc["lot"], "fetch_order_book", depth=50)
        linear = exchange.fetch_order_book(LINEAR)
        check_book(linear["bids"], linear["asks"], btc["tick"], btc["lot"], "fetch_order_book linear")

    report.run("ccxt bybit: fetch_order_book (spot, linear)", order_book)

    def trades() -> None:
        recent = exchange.fetch_trades(UNIFIED, limit=30)
        ensure(len(recent) == 30, f"{len(recent)} trades")
        ascending([t["timestamp"] for t in recent], "trade times", strict=False)
        for trade in recent:
            on_grid(trade["info"]["price"], btc["tick"], "trade price")

    report.run("ccxt bybit: fetch_trades", trades)

    def balance() -> None:
        answer = exchange.fetch_balance()
        ensure(answer["total"], "empty balance")
        wrong = make(secret[:-1] + "2")
        wrong.load_markets()
        try:
            wrong.fetch_balance()
        except ccxt.AuthenticationError as error:
            ensure("10004" in str(error), f"AuthenticationError without 10004: {error}")
        else:
            raise CheckFailed("a wrong secret was accepted")

    report.run("ccxt bybit: fetch_balance signed; wrong secret -> AuthenticationError (10004)", balance)


def ccxt_pro_checks(report: Report, port: int) -> None:
    import ccxt.pro

    markets = sim_markets(port)
    btc = markets[UNIFIED]
    watched = [f"{m['base']}/{m['quote']}" for m in busiest_markets(markets)]

    async def watch() -> None:
        exchange = ccxt.pro.bybit(ccxt_config(None, None))
        exchange.urls["api"] = local_urls(exchange.urls["api"], port)
        try:
            for symbol in (UNIFIED, LINEAR):
                book = await asyncio.wait_for(exchange.watch_order_book(symbol, 50), 30)
                for _ in range(3):
                    book = await asyncio.wait_for(exchange.watch_order_book(symbol, 50), 30)
                check_book(book["bids"], book["asks"], btc["tick"], btc["lot"], f"watch_order_book {symbol}", depth=50)
            trades = await watch_first_trades(exchange, watched, 150)
            ensure(trades and all(t["symbol"] in watched for t in trades), "watch_trades_for_symbols")
            for trade in trades:
                on_grid(trade["info"]["p"], markets[trade["symbol"]]["tick"], "watched trade price")
            ticker = await asyncio.wait_for(exchange.watch_ticker(UNIFIED), 30)
            ensure(ticker["symbol"] == UNIFIED and ticker["last"] > 0, "watch_ticker")
            candles = await asyncio.wait_for(exchange.watch_ohlcv(LINEAR, "1m"), 30)
            ensure(candles and candles[-1][0] % 60_000 == 0, "watch_ohlcv")
        finally:
            await exchange.close()

    report.run("ccxt.pro bybit: watch_order_book (spot, linear), watch_trades, watch_ticker, watch_ohlcv", watch)


def run(report: Report, port: int, key: str, secret: str) -> None:
    pybit_checks(report, port, key, secret)
    pybit_stream_checks(report, port)
    ccxt_checks(report, port, key, secret)
    ccxt_pro_checks(report, port)
