"""WhiteBIT through the official WhiteBIT Python SDK (whitebit-python-sdk, REST with pydantic response
models) and ccxt (REST and ccxt.pro), unmodified."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sdkcheck import (
    CheckFailed,
    Report,
    ascending,
    busiest_markets,
    check_book,
    dec,
    ensure,
    local_urls,
    on_grid,
    positive,
    sim_get,
    sim_markets,
    watch_first_trades,
)

MARKET = "BTC_USDT"
UNIFIED = "BTC/USDT"


def official_client(port: int, key: str = "", secret: str | None = None):  # type: ignore[no-untyped-def]
    """The SDK's environment object carries the base URL; signing is its HmacTransport (as its
    documentation shows), which adds request, nonce and nonceWindow to the body and signs it."""
    import httpx
    from whitebit import WhitebitApi
    from whitebit.environment import WhitebitApiEnvironment
    from whitebit.hmac_transport import HmacTransport

    environment = WhitebitApiEnvironment(
        base=f"http://127.0.0.1:{port}", production=f"ws://127.0.0.1:{port}", eu=f"ws://127.0.0.1:{port}")
    transport = httpx.Client(transport=HmacTransport(api_secret=secret)) if secret is not None else None
    return WhitebitApi(environment=environment, api_key=key, txc_payload="", txc_signature="", httpx_client=transport)


def official_checks(report: Report, port: int, key: str, secret: str) -> None:
    from whitebit.core.api_error import ApiError

    client = official_client(port)
    api = client.public_api_v4
    markets = sim_markets(port)
    btc = markets[UNIFIED]

    def status_time() -> None:
        ensure(api.server_status() == ["pong"], "ping")
        status = api.maintenance_status().status
        ensure(getattr(status, "value", status) == "1", f"platform status {status!r}")
        server = api.server_time().time
        ensure(abs(server * 1000 - sim_get(port, "/_sim/clock")["now"]) < 60_000, "server time far from the simulator clock")

    report.run("whitebit SDK: server_status, maintenance_status, server_time", status_time)

    def market_info() -> None:
        items = api.market_info()
        ensure({m.name for m in items} == {f"{m['base']}_{m['quote']}" for m in markets.values()}, "market names differ")
        item = next(m for m in items if m.name == MARKET)
        ensure(Decimal(1).scaleb(-int(item.money_prec)) == btc["tick"], f"moneyPrec {item.money_prec}")
        ensure(Decimal(1).scaleb(-int(item.stock_prec)) == btc["lot"], f"stockPrec {item.stock_prec}")
        ensure(dec(item.maker_fee) == Decimal("0.1"), f"makerFee is a percentage: {item.maker_fee}")
        ensure(item.trades_enabled and str(item.type.value if hasattr(item.type, "value") else item.type) == "spot", "type")
        collateral = api.collateral_markets_list()
        ensure(collateral.success and MARKET in collateral.result, f"collateral markets {collateral}")
        ensure(set(collateral.result) == {m.name for m in items if m.is_collateral}, "collateral list != isCollateral")
        futures = api.available_futures_markets_list()
        ensure(futures.success and futures.result == [], "futures list (none simulated)")

    report.run("whitebit SDK: market_info (pydantic models), collateral_markets_list, available_futures_markets_list", market_info)

    def assets() -> None:
        listed = api.asset_status_list()
        currencies = {m["base"] for m in markets.values()} | {m["quote"] for m in markets.values()}
        ensure(set(listed) == currencies, f"assets {sorted(listed)}")
        btc_asset = listed["BTC"]
        ensure(btc_asset.name == "Bitcoin" and btc_asset.unified_cryptoasset_id == 1, f"BTC asset {btc_asset}")
        ensure(btc_asset.networks.default in btc_asset.networks.deposits, "default network not listed")
        fees = api.fee()
        ensure(all(info.ticker in currencies for info in fees.values()), "fee tickers")
        ensure({info.ticker for info in fees.values()} == currencies, "fee covers every currency")

    report.run("whitebit SDK: asset_status_list, fee", assets)

    def ticker() -> None:
        activity = api.market_activity()
        ensure(set(activity) == {f"{m['base']}_{m['quote']}" for m in markets.values()}, "ticker markets")
        item = activity[MARKET]
        on_grid(item.last_price, btc["tick"], "last_price")
        positive(item.base_volume, "base_volume")
        dec(item.change, "change")

    report.run("whitebit SDK: market_activity (v4 ticker)", ticker)

    def orderbook() -> None:
        book = api.orderbook(MARKET, limit=20)
        ensure(book.ticker_id == MARKET and isinstance(book.timestamp, int), "orderbook header")
        check_book(book.bids, book.asks, btc["tick"], btc["lot"], "orderbook", depth=20)
        grouped = api.orderbook(MARKET, limit=10, level=2)
        check_book(grouped.bids, grouped.asks, btc["tick"] * 100, btc["lot"], "orderbook level=2", depth=10)
        depth = api.depth(MARKET)
        check_book(depth.bids, depth.asks, btc["tick"], btc["lot"], "depth ±2%")
        last = dec(api.market_activity()[MARKET].last_price)
        ensure(dec(depth.bids[-1][0]) >= last * Decimal("0.97") and dec(depth.asks[-1][0]) <= last * Decimal("1.03"),
               "depth levels beyond ±2% of the last price")

    report.run("whitebit SDK: orderbook (limit, level), depth", orderbook)

    def trades() -> None:
        recent = api.recent_trades(MARKET)
        ensure(len(recent) == 100, f"{len(recent)} trades")
        ensure([t.trade_timestamp for t in recent] == sorted((t.trade_timestamp for t in recent), reverse=True),
               "trades not newest first")
        for trade in recent:
            on_grid(trade.price, btc["tick"], "trade price")
            on_grid(trade.quote_volume, btc["lot"], "trade amount (quote_volume = stock amount)")
        sells = api.recent_trades(MARKET, type="sell")
        ensure(sells and all(str(getattr(t.type, "value", t.type)) == "sell" for t in sells), "type=sell")

    report.run("whitebit SDK: recent_trades (all, type=sell)", trades)

    def balance() -> None:
        signed = official_client(port, key, secret)
        every = signed.spot_trading.trade_account_balance()
        ensure(every and all(dec(v.available) + dec(v.freeze) > 0 for v in every.values()), "balances non-zero")
        one = signed.spot_trading.trade_account_balance(ticker="BTC")
        ensure(list(one) == ["BTC"] and one["BTC"] == every.get("BTC", one["BTC"]), f"ticker=BTC gave {one}")
        wrong = official_client(port, key, secret[:-1] + "2")
        try:
            wrong.spot_trading.trade_account_balance()
        except ApiError as error:
            ensure(error.status_code == 401 and error.body == {"code": 10, "message": "Unauthorized request."},
                   f"wrong secret gave {error.status_code} {error.body}")
        else:
            raise CheckFailed("a wrong secret was accepted")

    report.run("whitebit SDK: trade_account_balance signed (nonceWindow), ticker=; wrong secret -> 401 code 10", balance)


def ccxt_config(key: str | None, secret: str | None) -> dict:
    return {"apiKey": key, "secret": secret}


def ccxt_checks(report: Report, port: int, key: str, secret: str) -> None:
    import ccxt

    markets = sim_markets(port)
    btc = markets[UNIFIED]

    def make(api_secret: str = secret):  # type: ignore[no-untyped-def]
        exchange = ccxt.whitebit(ccxt_config(key, api_secret))
        exchange.urls["api"] = local_urls(exchange.urls["api"], port)
        return exchange

    exchange = make()

    def load_markets() -> None:
        loaded = exchange.load_markets()
        ensure(set(loaded) == set(markets), f"markets differ: {sorted(set(loaded) ^ set(markets))[:6]}")
        market = loaded[UNIFIED]
        ensure(Decimal(str(market["precision"]["price"])) == btc["tick"], f"price precision {market['precision']}")
        ensure(Decimal(str(market["precision"]["amount"])) == btc["lot"], f"amount precision {market['precision']}")
        ensure(Decimal(str(market["maker"])) == Decimal("0.001"), f"maker fee {market['maker']} (0.1 %)")
        currencies = {m["base"] for m in markets.values()} | {m["quote"] for m in markets.values()}
        ensure(set(exchange.currencies) == currencies, f"currencies {sorted(exchange.currencies)}")
        btc_currency = exchange.currencies["BTC"]
        ensure(btc_currency["info"]["name"] == "Bitcoin" and btc_currency["deposit"] and "BTC" in btc_currency["networks"],
               f"BTC currency {btc_currency}")

    report.run("ccxt whitebit: load_markets (markets + assets), fetch_currencies", load_markets)

    def server_time() -> None:
        ensure(abs(exchange.fetch_time() - sim_get(port, "/_sim/clock")["now"]) < 60_000, "fetch_time")
        ensure(exchange.fetch_status()["status"] == "ok", "fetch_status")

    report.run("ccxt whitebit: fetch_time, fetch_status", server_time)

    def tickers() -> None:
        ticker = exchange.fetch_ticker(UNIFIED)
        ensure(ticker["bid"] < ticker["ask"], "bid >= ask")
        ensure(ticker["low"] <= ticker["last"] <= ticker["high"], "last outside range")
        every = exchange.fetch_tickers()
        ensure(set(every) == set(markets), f"fetch_tickers gave {len(every)}")
        ensure(all(t["last"] > 0 for t in every.values()), "a ticker without last price")

    report.run("ccxt whitebit: fetch_ticker (v1), fetch_tickers (v4)", tickers)

    def ohlcv() -> None:
        now = exchange.fetch_time()
        since = (now // 3_600_000 - 10) * 3_600_000
        candles = exchange.fetch_ohlcv(UNIFIED, "1h", since=since, limit=5)
        ensure([c[0] for c in candles] == [since + i * 3_600_000 for i in range(5)], f"candles from since: {[c[0] for c in candles]}")
        for c in candles:
            ensure(c[3] <= min(c[1], c[4]) and c[2] >= max(c[1], c[4]), f"OHLC inconsistent {c}")
        latest = exchange.fetch_ohlcv(UNIFIED, "1m", limit=10)
        ensure(len(latest) == 10, "limit=10")
        ascending([c[0] for c in latest], "1m candle times")

    report.run("ccxt whitebit: fetch_ohlcv (since, limit)", ohlcv)

    def order_book() -> None:
        book = exchange.fetch_order_book(UNIFIED, limit=50)
        check_book(book["bids"], book["asks"], btc["tick"], btc["lot"], "fetch_order_book", depth=50)

    report.run("ccxt whitebit: fetch_order_book", order_book)

    def trades() -> None:
        recent = exchange.fetch_trades(UNIFIED)
        ensure(len(recent) == 100, f"{len(recent)} trades")
        ascending([t["timestamp"] for t in recent], "trade times", strict=False)
        for trade in recent:
            on_grid(trade["info"]["price"], btc["tick"], "trade price")
            ensure(Decimal(str(trade["amount"])) % btc["lot"] == 0, f"amount {trade['amount']} off the lot")

    report.run("ccxt whitebit: fetch_trades", trades)

    def fees() -> None:
        trading = exchange.fetch_trading_fees()
        ensure(Decimal(str(trading[UNIFIED]["maker"])) == Decimal("0.001"), f"trading fees {trading[UNIFIED]}")
        funding = exchange.fetch_deposit_withdraw_fees(["BTC", "USDT"])
        ensure({"BTC", "USDT"} <= set(funding), f"deposit/withdraw fees {sorted(funding)}")

    report.run("ccxt whitebit: fetch_trading_fees (assets), fetch_deposit_withdraw_fees (fee)", fees)

    def balance() -> None:
        answer = exchange.fetch_balance()
        ensure(answer["total"] and all(v >= 0 for v in answer["total"].values()), "balance")
        wrong = make(secret[:-1] + "2")
        wrong.load_markets()
        try:
            wrong.fetch_balance()
        except ccxt.AuthenticationError as error:
            ensure("Unauthorized request" in str(error), f"AuthenticationError text: {error}")
        else:
            raise CheckFailed("a wrong secret was accepted")

    report.run("ccxt whitebit: fetch_balance signed; wrong secret -> AuthenticationError", balance)


def ccxt_pro_checks(report: Report, port: int) -> None:
    import ccxt.pro

    markets = sim_markets(port)
    btc = markets[UNIFIED]
    watched = [f"{m['base']}/{m['quote']}" for m in busiest_markets(markets)]

    async def watch() -> None:
        exchange = ccxt.pro.whitebit(ccxt_config(None, None))
        exchange.urls["api"] = local_urls(exchange.urls["api"], port)
        try:
            # ccxt applies increments without truncating to the subscribed limit: its book stays
            # exact only if every level leaving the window is sent as "0" (see docs/exchsim.md).
            for update in range(20):
                book = await asyncio.wait_for(exchange.watch_order_book(UNIFIED, 50), 30)
                check_book(book["bids"], book["asks"], btc["tick"], btc["lot"], f"watch_order_book #{update}", depth=50)
            trades = await watch_first_trades(exchange, watched, 150)
            ensure(trades and all(t["symbol"] in watched for t in trades), "watch_trades")
            for trade in trades:
                on_grid(trade["info"]["price"], markets[trade["symbol"]]["tick"], "watched trade price")
            ticker = await asyncio.wait_for(exchange.watch_ticker(UNIFIED), 30)
            ensure(ticker["symbol"] == UNIFIED and ticker["last"] > 0, "watch_ticker")
            candles = await asyncio.wait_for(exchange.watch_ohlcv(UNIFIED, "1m"), 30)
            ensure(candles and candles[-1][0] % 60_000 == 0, "watch_ohlcv")
        finally:
            await exchange.close()

    report.run("ccxt.pro whitebit: watch_order_book, watch_trades, watch_ticker, watch_ohlcv", watch)


def run(report: Report, port: int, key: str, secret: str) -> None:
    official_checks(report, port, key, secret)
    ccxt_checks(report, port, key, secret)
    ccxt_pro_checks(report, port)
