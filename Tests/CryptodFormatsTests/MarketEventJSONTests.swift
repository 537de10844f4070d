import CryptodFormats
import CryptodModel
import Foundation
import Testing

@Suite("market event JSON")
struct MarketEventJSONTests {
    let market = MarketKey(exchange: .bybit, type: .linear, symbol: "BTCUSDT")

    @Test("decimals leave as the exchange's exact strings, scale included")
    func exactDecimals() throws {
        let trade = Trade(
            market: market, id: "a1", price: "0.00010000", quantity: "12.50", side: .sell,
            time: Timestamp(milliseconds: 1_700_000_000_123),
            receivedAt: Timestamp(nanoseconds: 1_700_000_000_123_456_789))
        let text = String(decoding: MarketEventJSON.encode(.trades([trade])), as: UTF8.self)
        #expect(text.contains("\"price\":\"0.00010000\""))
        #expect(text.contains("\"quantity\":\"12.50\""))
        #expect(text.contains("\"market\":\"linear\""))
        #expect(text.contains("\"time\":\"2023-11-14T22:13:20.123Z\""))
        #expect(text.contains("\"received_at\":\"2023-11-14T22:13:20.123456789Z\""))
        // Valid JSON for any consumer.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["type"] as? String == "trades")
    }

    @Test("absent figures are null, so every event of a type has the same keys")
    func nulls() throws {
        let ticker = Ticker(market: market, time: Timestamp(seconds: 1), receivedAt: Timestamp(seconds: 1))
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(MarketEventJSON.encode(.ticker(ticker)))) as? [String: Any])
        for key in ["last", "bid", "ask", "volume", "change_percent"] {
            #expect(object[key] is NSNull, "\(key) is null")
        }
    }

    @Test("market data always carries its origin")
    func origin() throws {
        let ticker = Ticker(market: market, time: Timestamp(seconds: 1), receivedAt: Timestamp(seconds: 1))
        let live = String(decoding: MarketEventJSON.encode(.ticker(ticker)), as: UTF8.self)
        #expect(live.contains("\"origin\":\"live\""))
        let names = DataOrigin.allCases.map(\.description)
        #expect(names == ["live", "gap_fill", "backfill", "resync", "injected"])
        let trades = DataOrigin.allCases.map { origin in
            Trade(
                market: market, id: "\(origin.rawValue)", price: "1", quantity: "1", side: .buy, time: .epoch,
                receivedAt: .epoch, origin: origin)
        }
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(MarketEventJSON.encode(.trades(trades)))) as? [String: Any])
        let items = try #require(object["trades"] as? [[String: Any]])
        #expect(items.compactMap { $0["origin"] as? String } == names)
        let candle = Candle(
            market: market, interval: .h1, openTime: .epoch, open: "1", high: "1", low: "1", close: "1", volume: "1",
            isClosed: true, receivedAt: .epoch, origin: .backfill)
        let delta = BookDelta(
            market: market, firstUpdateID: 1, lastUpdateID: 2, time: nil, receivedAt: .epoch, bids: [], asks: [],
            origin: .resync)
        let snapshot = BookSnapshot(
            market: market, updateID: 1, time: nil, receivedAt: .epoch, bids: [], asks: [], origin: .gapFill)
        for (event, expected) in [
            (MarketEvent.candle(candle), "backfill"), (.bookDelta(delta), "resync"),
            (.bookSnapshot(snapshot), "gap_fill"),
        ] {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(MarketEventJSON.encode(event))) as? [String: Any])
            #expect(object["origin"] as? String == expected)
        }
    }

    @Test("instrument lists, stream gaps and source status are JSON objects of their own type")
    func sourceEvents() throws {
        func object(_ event: MarketEvent) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(MarketEventJSON.encode(event))) as? [String: Any])
        }
        let list = InstrumentList(
            exchange: .bybit,
            instruments: [
                Instrument(
                    market: market, base: "BTC", quote: "USDT", status: .preTrading, tickSize: "0.10",
                    lotSize: "0.001", minNotional: "5")
            ])
        let instruments = try object(.instruments(list))
        #expect(instruments["type"] as? String == "instruments")
        #expect(instruments["exchange"] as? String == "bybit")
        #expect(instruments["symbol"] == nil, "a list has no one symbol")
        let first = try #require((instruments["instruments"] as? [[String: Any]])?.first)
        #expect(first["symbol"] as? String == "BTCUSDT")
        #expect(first["market"] as? String == "linear")
        #expect(first["status"] as? String == "pre_trading")
        #expect(first["tick_size"] as? String == "0.10")
        #expect(first["min_quantity"] is NSNull)
        #expect(first["min_notional"] as? String == "5")

        let gap = try object(
            .gap(
                StreamGap(
                    market: market, channel: "candles:1m", state: .closed, openedAt: Timestamp(seconds: 1),
                    closedAt: Timestamp(seconds: 3), recovered: 2, reason: "filled")))
        #expect(gap["type"] as? String == "stream_gap")
        #expect(gap["symbol"] as? String == "BTCUSDT")
        #expect(gap["channel"] as? String == "candles:1m")
        #expect(gap["state"] as? String == "closed")
        #expect(gap["closed_at"] as? String == "1970-01-01T00:00:03.000Z")
        #expect(gap["recovered"] as? Int == 2)

        let connection = try object(.status(SourceStatus(exchange: .bybit, state: .disconnected, time: .epoch)))
        let book = try object(.status(SourceStatus(exchange: .bybit, market: market, state: .resyncing, time: .epoch)))
        #expect(connection["type"] as? String == "source_status")
        #expect(connection["state"] as? String == "disconnected")
        #expect(connection["symbol"] is NSNull)
        #expect(book["symbol"] as? String == "BTCUSDT")
        #expect(Set(connection.keys) == Set(book.keys), "a status has the same keys with and without a market")
    }

    @Test("strings are escaped")
    func escaping() throws {
        var json = JSONWriter()
        json.object { $0.field("text", "quote \" backslash \\ newline \n tab \t control \u{01}") }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: String])
        #expect(object["text"] == "quote \" backslash \\ newline \n tab \t control \u{01}")
    }
}
