"""Binance spot through the official binance-connector and ccxt (REST and ccxt.pro), unmodified."""

from __future__ import annotations

import asyncio
import json
import threading
import time
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


def matches_truth(port: int, trade: dict, what: str) -> None:
    """A Binance trade payload (`s`, `t`, `p`, `q`, `m`) is exchsim's trade of that id, to the digit."""
    truth = sim_get(port, f"/_sim/trades?symbol={trade['s']}&fromId={trade['t']}&limit=1")
    ensure(truth and truth[0]["id"] == trade["t"], f"{what} {trade['s']} #{trade['t']} is not in /_sim/trades")
    ensure(dec(truth[0]["price"]) == dec(trade["p"]) and dec(truth[0]["qty"]) == dec(trade["q"])
           and truth[0]["isBuyerMaker"] == trade["m"], f"{what} {trade} differs from /_sim/trades {truth[0]}")


def connector_checks(report: Report, port: int, key: str, secret: str) -> None:
    from binance.error import ClientError
    from binance.spot import Spot

    base_url = f"http://127.0.0.1:{port}"
    client = Spot(base_url=base_url)
    markets = sim_markets(port)
    btc = markets[UNIFIED]

    def ping_time() -> None:
        ensure(client.ping() == {}, "ping is not {}")
        server = client.time()["serverTime"]
        ensure(isinstance(server, int), f"serverTime is not an int: {server!r}")
        health = sim_get(port, "/_sim/clock")["now"]
        ensure(abs(health - server) < 60_000, f"serverTime {server} far from the simulator clock {health}")

    report.run("binance-connector: ping, time", ping_time)

    def exchange_info() -> None:
        info = client.exchange_info()
        names = {item["symbol"] for item in info["symbols"]}
        ensure(names == {m["symbol"] for m in markets.values()}, f"symbols differ: {sorted(names)[:5]}…")
        one = client.exchange_info(symbol=SYMBOL)["symbols"]
        ensure([s["symbol"] for s in one] == [SYMBOL], f"symbol= returned {[s['symbol'] for s in one]}")
        two = client.exchange_info(symbols=[SYMBOL, "ETHBTC"])["symbols"]
        ensure({s["symbol"] for s in two} == {SYMBOL, "ETHBTC"}, "symbols= did not select two")
        spot = client.exchange_info(permissions=["SPOT"])["symbols"]
        ensure(len(spot) == len(names), f"permissions=[SPOT] listed {len(spot)} of {len(names)}")
        filters = {f["filterType"]: f for f in one[0]["filters"]}
        ensure(dec(filters["PRICE_FILTER"]["tickSize"]) == btc["tick"], "tickSize differs from the simulator's")
        ensure(dec(filters["LOT_SIZE"]["stepSize"]) == btc["lot"], "stepSize differs from the simulator's")

    report.run("binance-connector: exchange_info (all, symbol, symbols, permissions)", exchange_info)

    def depth() -> None:
        book = client.depth(SYMBOL, limit=50)
        ensure(isinstance(book["lastUpdateId"], int), "lastUpdateId is not an int")
        check_book(book["bids"], book["asks"], btc["tick"], btc["lot"], "depth", depth=50)

    report.run("binance-connector: depth", depth)

    def trades() -> None:
        recent = client.trades(SYMBOL, limit=20)
        ensure(len(recent) == 20, f"{len(recent)} trades for limit=20")
        ascending([t["id"] for t in recent], "trade ids")
        for trade in recent:
            on_grid(trade["price"], btc["tick"], "trade price")
            on_grid(trade["qty"], btc["lot"], "trade qty")
        older = client.historical_trades(SYMBOL, fromId=recent[0]["id"] - 5, limit=5)
        ensure([t["id"] for t in older] == list(range(recent[0]["id"] - 5, recent[0]["id"])), "historicalTrades fromId")
        aggregates = client.agg_trades(SYMBOL, limit=10)
        ascending([a["a"] for a in aggregates], "aggTrade ids")

    report.run("binance-connector: trades, historical_trades, agg_trades", trades)

    def klines() -> None:
        now = client.time()["serverTime"]
        since = (now // 60_000 - 30) * 60_000 + 17  # not on a boundary: the first candle opens after it
        rows = client.klines(SYMBOL, "1m", startTime=since, limit=10)
        ensure(len(rows) == 10, f"{len(rows)} klines for limit=10")
        ensure(rows[0][0] >= since and rows[0][0] - since < 60_000, f"first open {rows[0][0]} vs since {since}")
        ascending([r[0] for r in rows], "kline open times")
        for row in rows:
            ensure(row[6] == row[0] + 59_999, "close time is not open + 1m - 1")
            o, h, low, c = (dec(v, "ohlc") for v in row[1:5])
            ensure(low <= min(o, c) and h >= max(o, c), f"OHLC inconsistent: {row[1:5]}")
            on_grid(row[1], btc["tick"], "kline open")
        ui = client.ui_klines(SYMBOL, "1h", limit=3)
        ensure(len(ui) == 3, "uiKlines limit=3")

    report.run("binance-connector: klines (startTime, limit), ui_klines", klines)

    def tickers() -> None:
        single = client.ticker_24hr(SYMBOL)
        ensure(single["symbol"] == SYMBOL, "24hr single symbol")
        ensure(dec(single["lowPrice"]) <= dec(single["lastPrice"]) <= dec(single["highPrice"]), "last outside low/high")
        several = client.ticker_24hr(symbols=[SYMBOL, "ETHUSDT"])
        ensure([t["symbol"] for t in several] == [SYMBOL, "ETHUSDT"], "24hr symbols=")
        every = client.ticker_24hr()
        ensure(len(every) == len(markets), f"24hr all gave {len(every)}")
        mini = client.ticker_24hr(SYMBOL, type="MINI")
        ensure("bidPrice" not in mini and "lastPrice" in mini, "MINI ticker shape")
        price = client.ticker_price(SYMBOL)
        on_grid(price["price"], btc["tick"], "ticker/price")
        prices = client.ticker_price(symbols=[SYMBOL, "ETHUSDT"])
        ensure(len(prices) == 2, "ticker/price symbols=")
        book = client.book_ticker(SYMBOL)
        ensure(dec(book["bidPrice"]) < dec(book["askPrice"]), "bookTicker crossed")
        ensure(len(client.book_ticker()) == len(markets), "bookTicker all")
        average = client.avg_price(SYMBOL)
        ensure(average["mins"] == 5 and positive(average["price"], "avgPrice") > 0, "avgPrice")

    report.run("binance-connector: ticker_24hr (symbol, symbols, all, MINI), ticker_price, book_ticker, avg_price", tickers)

    def rolling() -> None:
        day = client.rolling_window_ticker(SYMBOL)
        ensure(day["symbol"] == SYMBOL, "rolling window symbol")
        ensure(day["closeTime"] - day["openTime"] >= 86_400_000 - 1, "default window is 1d")
        ensure(day["openTime"] % 60_000 == 0, "rolling window openTime not on a minute")
        hour = client.rolling_window_ticker(symbols=[SYMBOL, "ETHUSDT"], windowSize="1h")
        ensure([t["symbol"] for t in hour] == [SYMBOL, "ETHUSDT"], "rolling window symbols=")
        ensure(hour[0]["closeTime"] - hour[0]["openTime"] < 3_600_000 + 60_000, "1h window width")
        ensure(dec(hour[0]["lowPrice"]) <= dec(hour[0]["lastPrice"]) <= dec(hour[0]["highPrice"]), "1h last outside range")
        trading_day = client.trading_day_ticker(SYMBOL)
        ensure(trading_day["openTime"] % 86_400_000 == 0, "tradingDay openTime is not midnight UTC")
        ensure(dec(trading_day["lowPrice"]) <= dec(trading_day["lastPrice"]), "tradingDay last below low")
        several = client.trading_day_ticker(symbols=[SYMBOL, "ETHUSDT"])
        ensure(len(several) == 2, "tradingDay symbols=")

    report.run("binance-connector: rolling_window_ticker (/api/v3/ticker), trading_day_ticker", rolling)

    def errors() -> None:
        try:
            client.depth("NOPEUSDT")
        except ClientError as error:
            ensure(error.status_code == 400 and error.error_code == -1121, f"unknown symbol gave {error}")
        else:
            raise CheckFailed("unknown symbol did not raise ClientError")

    report.run("binance-connector: unknown symbol -> ClientError -1121", errors)

    def account() -> None:
        signed = Spot(api_key=key, api_secret=secret, base_url=base_url)
        answer = signed.account()
        ensure(answer["canTrade"] is True, "canTrade")
        ensure(answer["balances"], "no balances")
        for balance in answer["balances"]:
            dec(balance["free"], "free")
            dec(balance["locked"], "locked")
        nonzero = signed.account(omitZeroBalances="true")
        ensure(all(dec(b["free"]) + dec(b["locked"]) > 0 for b in nonzero["balances"]), "omitZeroBalances")
        wrong = Spot(api_key=key, api_secret=secret[:-1] + "2", base_url=base_url)
        try:
            wrong.account()
        except ClientError as error:
            ensure(error.status_code == 400 and error.error_code == -1022, f"wrong secret gave {error}")
            ensure(error.error_message == "Signature for this request is not valid.", error.error_message)
        else:
            raise CheckFailed("a wrong secret was accepted")
        unknown = Spot(api_key="x" * 64, api_secret=secret, base_url=base_url)
        try:
            unknown.account()
        except ClientError as error:
            ensure(error.status_code == 401 and error.error_code == -2015, f"unknown key gave {error}")
        else:
            raise CheckFailed("an unknown key was accepted")

    report.run("binance-connector: account() signed; wrong secret -> -1022, unknown key -> -2015", account)


def connector_stream_checks(report: Report, port: int) -> None:
    from binance.websocket.spot.websocket_stream import SpotWebsocketStreamClient

    markets = sim_markets(port)
    btc = markets[UNIFIED]
    traded = busiest_markets(markets)
    ticks = {market["symbol"]: market["tick"] for market in traded}

    def raw_streams() -> None:
        messages: list[dict] = []
        lock = threading.Lock()

        def on_message(_, text: str) -> None:
            with lock:
                messages.append(json.loads(text))

        client = SpotWebsocketStreamClient(stream_url=f"ws://127.0.0.1:{port}", on_message=on_message)
        try:
            for market in traded:  # any of them may be in a lull (see busiest_markets)
                client.trade(symbol=market["symbol"])
                time.sleep(0.3)  # Binance allows 5 incoming messages per second
            client.diff_book_depth(symbol=SYMBOL, speed=100)
            time.sleep(0.3)
            client.book_ticker(symbol=SYMBOL)
            time.sleep(0.3)
            client.kline(symbol=SYMBOL, interval="1m")
            time.sleep(0.3)
            client.partial_book_depth(symbol=SYMBOL, level=5, speed=100)

            def seen(kind: str) -> bool:
                with lock:
                    return any(m.get("e") == kind for m in messages)

            def have_partial() -> bool:
                with lock:
                    return any("lastUpdateId" in m for m in messages)

            def have_book_ticker() -> bool:
                with lock:
                    return any("u" in m and "b" in m and "e" not in m for m in messages)

            wait_until(lambda: seen("depthUpdate") and seen("kline") and have_partial() and have_book_ticker(), 20,
                       "depthUpdate, kline, partial depth and bookTicker messages")
            wait_until(lambda: seen("trade"), 60, "a trade message")
            with lock:
                got = list(messages)
        finally:
            bounded(client.stop, 15, "binance-connector stream client stop")
        acks = [m for m in got if "result" in m]
        ensure(acks and all(m["result"] is None for m in acks), f"subscribe acks: {acks[:3]}")
        diffs = [m for m in got if m.get("e") == "depthUpdate"]
        for previous, current in zip(diffs, diffs[1:]):
            ensure(current["U"] == previous["u"] + 1, f"depth diff gap {previous['u']} -> {current['U']}")
        trades = [m for m in got if m.get("e") == "trade"]
        for trade in trades:
            ensure(trade["s"] in ticks, f"a trade of {trade['s']}, which was not subscribed")
            on_grid(trade["p"], ticks[trade["s"]], "stream trade price")
            matches_truth(port, trade, "stream trade")
        partial = next(m for m in got if "lastUpdateId" in m)
        check_book(partial["bids"], partial["asks"], btc["tick"], btc["lot"], "partial depth", depth=5)
        kline = next(m for m in got if m.get("e") == "kline")["k"]
        ensure(kline["i"] == "1m" and kline["T"] == kline["t"] + 59_999, f"kline payload {kline}")
        log(f"{len(got)} messages, {len(diffs)} depth diffs, {len(trades)} trades as in /_sim/trades")

    report.run("binance-connector WebSocket: trade, diff depth @100ms, bookTicker, kline, partial depth", raw_streams)

    def combined() -> None:
        messages: list[dict] = []
        client = SpotWebsocketStreamClient(
            stream_url=f"ws://127.0.0.1:{port}", is_combined=True, on_message=lambda _, t: messages.append(json.loads(t)))
        try:
            client.ticker(symbol=SYMBOL)
            time.sleep(0.3)
            client.mini_ticker()
            wait_until(lambda: any(m.get("stream") == "btcusdt@ticker" for m in messages)
                       and any(m.get("stream") == "!miniTicker@arr" for m in messages), 20, "ticker and !miniTicker@arr")
        finally:
            bounded(client.stop, 15, "binance-connector stream client stop")
        ticker = next(m for m in messages if m.get("stream") == "btcusdt@ticker")["data"]
        ensure(ticker["e"] == "24hrTicker" and ticker["s"] == SYMBOL, f"ticker payload {ticker}")
        ensure(dec(ticker["b"]) < dec(ticker["a"]), "ticker bid >= ask")

    report.run("binance-connector WebSocket (combined): ticker, !miniTicker@arr", combined)


def ccxt_checks(report: Report, port: int, key: str, secret: str) -> None:
    import ccxt

    markets = sim_markets(port)
    btc = markets[UNIFIED]

    def make(api_secret: str = secret):  # type: ignore[no-untyped-def]
        exchange = ccxt.binance({
            "apiKey": key,
            "secret": api_secret,
            "options": {"fetchMarkets": ["spot"], "fetchCurrencies": False, "fetchMargins": False},
        })
        exchange.urls["api"] = local_urls(exchange.urls["api"], port)
        return exchange

    exchange = make()

    def load_markets() -> None:
        loaded = exchange.load_markets()
        ensure(set(loaded) == set(markets), f"markets differ: {sorted(set(loaded) ^ set(markets))[:6]}")
        market = loaded[UNIFIED]
        ensure(market["id"] == SYMBOL and market["spot"] and market["active"], f"BTC/USDT market {market['id']}")
        ensure(Decimal(str(market["precision"]["price"])) == btc["tick"], f"price precision {market['precision']}")
        ensure(Decimal(str(market["precision"]["amount"])) == btc["lot"], f"amount precision {market['precision']}")

    report.run("ccxt binance: load_markets (fetchMarkets=['spot'], fetchCurrencies=False)", load_markets)

    def server_time() -> None:
        server = exchange.fetch_time()
        ensure(abs(server - sim_get(port, "/_sim/clock")["now"]) < 60_000, "fetch_time far from the simulator clock")

    report.run("ccxt binance: fetch_time", server_time)

    def tickers() -> None:
        ticker = exchange.fetch_ticker(UNIFIED)
        ensure(ticker["symbol"] == UNIFIED, "ticker symbol")
        ensure(ticker["bid"] < ticker["ask"], f"bid {ticker['bid']} >= ask {ticker['ask']}")
        ensure(ticker["low"] <= ticker["last"] <= ticker["high"], "last outside low/high")
        on_grid(exchange.safe_string(ticker["info"], "lastPrice"), btc["tick"], "lastPrice")
        every = exchange.fetch_tickers()
        ensure(set(every) == set(markets), f"fetch_tickers() gave {len(every)}")
        two = exchange.fetch_tickers([UNIFIED, "ETH/USDT"])
        ensure(set(two) == {UNIFIED, "ETH/USDT"}, f"fetch_tickers([..]) gave {sorted(two)}")
        bids_asks = exchange.fetch_bids_asks([UNIFIED, "ETH/USDT"])
        ensure(all(t["bid"] < t["ask"] for t in bids_asks.values()), "fetch_bids_asks crossed")
        prices = exchange.fetch_last_prices([UNIFIED])
        ensure(UNIFIED in prices and prices[UNIFIED]["price"] > 0, "fetch_last_prices")

    report.run("ccxt binance: fetch_ticker, fetch_tickers (all, list), fetch_bids_asks, fetch_last_prices", tickers)

    def ohlcv() -> None:
        now = exchange.fetch_time()
        since = (now // 3_600_000 - 20) * 3_600_000 - 1
        candles = exchange.fetch_ohlcv(UNIFIED, "1h", since=since, limit=12)
        ensure(len(candles) == 12, f"{len(candles)} candles for limit=12")
        ensure(candles[0][0] >= since and candles[0][0] - since <= 3_600_000, "since not respected")
        ascending([c[0] for c in candles], "candle times")
        ensure(all(c[0] % 3_600_000 == 0 for c in candles), "1h candles not on the hour")
        for c in candles:
            ensure(c[3] <= min(c[1], c[4]) and c[2] >= max(c[1], c[4]), f"OHLC inconsistent {c}")
            ensure(c[5] >= 0, "negative volume")

    report.run("ccxt binance: fetch_ohlcv (since, limit)", ohlcv)

    def order_book() -> None:
        book = exchange.fetch_order_book(UNIFIED, limit=20)
        ensure(book["nonce"] is not None, "no nonce (lastUpdateId)")
        check_book(book["bids"], book["asks"], btc["tick"], btc["lot"], "fetch_order_book", depth=20)

    report.run("ccxt binance: fetch_order_book", order_book)

    def trades() -> None:
        recent = exchange.fetch_trades(UNIFIED, limit=30)
        ensure(len(recent) == 30, f"{len(recent)} trades")
        ascending([t["timestamp"] for t in recent], "trade times", strict=False)
        for trade in recent:
            ensure(trade["side"] in ("buy", "sell"), f"side {trade['side']}")
            on_grid(trade["info"]["p"], btc["tick"], "aggTrade price")

    report.run("ccxt binance: fetch_trades", trades)

    def balance() -> None:
        answer = exchange.fetch_balance()
        ensure(answer["total"], "empty balance")
        for currency, total in answer["total"].items():
            ensure(total is not None and total >= 0, f"{currency} total {total}")
        wrong = make(secret[:-1] + "2")
        wrong.load_markets()
        try:
            wrong.fetch_balance()
        except ccxt.AuthenticationError as error:
            ensure("-1022" in str(error), f"AuthenticationError without -1022: {error}")
        else:
            raise CheckFailed("a wrong secret was accepted")

    report.run("ccxt binance: fetch_balance signed; wrong secret -> AuthenticationError (-1022)", balance)


def ccxt_pro_checks(report: Report, port: int, key: str, secret: str) -> None:
    import ccxt.pro

    markets = sim_markets(port)
    btc = markets[UNIFIED]
    watched = [f"{m['base']}/{m['quote']}" for m in busiest_markets(markets)]

    async def watch() -> None:
        exchange = ccxt.pro.binance({"options": {"fetchMarkets": ["spot"], "fetchCurrencies": False, "fetchMargins": False}})
        exchange.urls["api"] = local_urls(exchange.urls["api"], port)
        try:
            book = await asyncio.wait_for(exchange.watch_order_book(UNIFIED), 30)
            check_book(book["bids"], book["asks"], btc["tick"], btc["lot"], "watch_order_book")
            nonce = book["nonce"]
            for _ in range(3):
                book = await asyncio.wait_for(exchange.watch_order_book(UNIFIED), 30)
            ensure(book["nonce"] > nonce, "order book nonce did not advance")
            check_book(book["bids"][:200], book["asks"][:200], btc["tick"], btc["lot"], "watch_order_book (updated)")
            truth = sim_get(port, f"/_sim/book?symbol={SYMBOL}&updateId={book['nonce']}&limit=20")
            ensure([[Decimal(p), Decimal(q)] for p, q in truth["bids"]]
                   == [[Decimal(str(p)), Decimal(str(q))] for p, q in book["bids"][:20]],
                   "watched bids differ from the true book at the same update id")
            trades = await watch_first_trades(exchange, watched, 150)
            ensure(trades and all(t["symbol"] in watched for t in trades), "watch_trades_for_symbols")
            for trade in trades:
                on_grid(trade["info"]["p"], markets[trade["symbol"]]["tick"], "watched trade price")
                matches_truth(port, trade["info"], "watched trade")
            ticker = await asyncio.wait_for(exchange.watch_ticker(UNIFIED), 30)
            ensure(ticker["bid"] < ticker["ask"], "watch_ticker crossed")
            candles = await asyncio.wait_for(exchange.watch_ohlcv(UNIFIED, "1m"), 30)
            ensure(candles and candles[-1][0] % 60_000 == 0, "watch_ohlcv")
        finally:
            await exchange.close()

    report.run("ccxt.pro binance: watch_order_book (matches /_sim/book), watch_trades, watch_ticker, watch_ohlcv", watch)


def run(report: Report, port: int, key: str, secret: str) -> None:
    connector_checks(report, port, key, secret)
    connector_stream_checks(report, port)
    ccxt_checks(report, port, key, secret)
    ccxt_pro_checks(report, port, key, secret)
