import CryptodExchanges
import CryptodModel
import Foundation
import Testing

@Suite("Binance stream messages")
struct BinanceStreamTests {
    typealias T = BinanceTest

    // MARK: - Fixtures

    @Test("ws_depth_diff: depthUpdate → BookDelta (U, u, E, exact levels), raw and combined")
    func depthDiff() throws {
        for events in [try T.fixture("ws_depth_diff"), try T.stream(T.combined("bnbbtc@depth@100ms", "ws_depth_diff"))]
        {
            guard case .bookDelta(let delta) = try #require(events.first), events.count == 1 else {
                Issue.record("expected one bookDelta, got \(events)")
                continue
            }
            #expect(delta.market == T.market("BNBBTC"))
            #expect(delta.firstUpdateID == 157)
            #expect(delta.lastUpdateID == 160)
            #expect(delta.previousUpdateID == nil)
            #expect(delta.time == Timestamp(milliseconds: 1_672_515_782_136))
            #expect(delta.receivedAt == T.receivedAt)
            #expect(delta.bids.map { "\($0.price.description)@\($0.quantity.description)" } == ["0.0024@10"])
            #expect(delta.asks.map { "\($0.price.description)@\($0.quantity.description)" } == ["0.0026@100"])
        }
    }

    @Test("ws_trade: trade → Trade; buyer maker means the taker sold")
    func trade() throws {
        let events = try T.fixture("ws_trade")
        guard case .trades(let trades) = try #require(events.first), events.count == 1, trades.count == 1 else {
            Issue.record("expected one trade, got \(events)")
            return
        }
        let trade = trades[0]
        #expect(trade.market == T.market("BNBBTC"))
        #expect(trade.id == "12345")
        #expect(trade.price.description == "0.001")
        #expect(trade.quantity.description == "100")
        #expect(trade.side == .sell)
        #expect(trade.time == Timestamp(milliseconds: 1_672_515_782_136))
        #expect(trade.receivedAt == T.receivedAt)

        let taker = try T.stream(T.text("ws_trade").replacingOccurrences(of: #""m": true"#, with: #""m": false"#))
        guard case .trades(let buys) = taker.first else { Issue.record("no trade"); return }
        #expect(buys[0].side == .buy)
    }

    @Test("ws_ticker_24hr: 24hrTicker → Ticker with every field")
    func ticker() throws {
        let events = try T.stream(T.combined("bnbbtc@ticker", "ws_ticker_24hr"))
        guard case .ticker(let ticker) = try #require(events.first), events.count == 1 else {
            Issue.record("expected one ticker, got \(events)"); return
        }
        #expect(ticker.market == T.market("BNBBTC"))
        #expect(ticker.time == Timestamp(milliseconds: 1_672_515_782_136))
        #expect(ticker.receivedAt == T.receivedAt)
        #expect(ticker.last?.description == "0.0025")
        #expect(ticker.lastQuantity?.description == "10")
        #expect(ticker.bid?.description == "0.0024")
        #expect(ticker.bidQuantity?.description == "10")
        #expect(ticker.ask?.description == "0.0026")
        #expect(ticker.askQuantity?.description == "100")
        #expect(ticker.open?.description == "0.0010")
        #expect(ticker.high?.description == "0.0025")
        #expect(ticker.low?.description == "0.0010")
        #expect(ticker.volume?.description == "10000")
        #expect(ticker.quoteVolume?.description == "18")
        #expect(ticker.changePercent?.description == "250.00")
        #expect(try T.fixture("ws_ticker_24hr") == events)
    }

    @Test("ws_kline: kline → Candle, x says closed")
    func kline() throws {
        let events = try T.fixture("ws_kline")
        guard case .candle(let candle) = try #require(events.first), events.count == 1 else {
            Issue.record("expected one candle, got \(events)"); return
        }
        #expect(candle.market == T.market("BNBBTC"))
        #expect(candle.interval == .m1)
        #expect(candle.openTime == Timestamp(milliseconds: 1_672_515_780_000))
        #expect(candle.open.description == "0.0010")
        #expect(candle.high.description == "0.0025")
        #expect(candle.low.description == "0.0015")
        #expect(candle.close.description == "0.0020")
        #expect(candle.volume.description == "1000")
        #expect(candle.quoteVolume?.description == "1.0000")
        #expect(candle.tradeCount == 100)
        #expect(candle.isClosed == false)
        #expect(candle.receivedAt == T.receivedAt)

        let closed = try T.stream(T.text("ws_kline").replacingOccurrences(of: #""x": false"#, with: #""x": true"#))
        guard case .candle(let final) = closed.first else { Issue.record("no candle"); return }
        #expect(final.isClosed)
    }

    @Test("ws_mini_ticker: 24hrMiniTicker → Ticker without bid/ask/change")
    func miniTicker() throws {
        let events = try T.fixture("ws_mini_ticker")
        guard case .ticker(let ticker) = try #require(events.first) else { Issue.record("no ticker"); return }
        #expect(ticker.market == T.market("BNBBTC"))
        #expect(ticker.time == Timestamp(milliseconds: 1_672_515_782_136))
        #expect(ticker.last?.description == "0.0025")
        #expect(ticker.open?.description == "0.0010")
        #expect(ticker.high?.description == "0.0025")
        #expect(ticker.low?.description == "0.0010")
        #expect(ticker.volume?.description == "10000")
        #expect(ticker.quoteVolume?.description == "18")
        #expect(ticker.bid == nil && ticker.ask == nil && ticker.changePercent == nil && ticker.lastQuantity == nil)
        // `!miniTicker@arr` carries an array of them.
        let array = try T.stream(
            #"{"stream":"!miniTicker@arr","data":[\#(T.text("ws_mini_ticker")),\#(T.text("ws_mini_ticker"))]}"#)
        #expect(array.count == 2)
        #expect(try T.stream("[" + T.text("ws_mini_ticker") + "]").count == 1)
    }

    @Test("ws_agg_trade: aggTrade → Trade with the aggregate id")
    func aggTrade() throws {
        let events = try T.fixture("ws_agg_trade")
        guard case .trades(let trades) = try #require(events.first) else { Issue.record("no trade"); return }
        #expect(trades[0].id == "12345")
        #expect(trades[0].price.description == "0.001")
        #expect(trades[0].quantity.description == "100")
        #expect(trades[0].side == .sell)
        #expect(trades[0].time == Timestamp(milliseconds: 1_672_515_782_136))
    }

    @Test("ws_book_ticker: bookTicker (no e) → Ticker with best bid/ask at receive time")
    func bookTicker() throws {
        for events in [
            try T.fixture("ws_book_ticker"), try T.stream(T.combined("bnbusdt@bookTicker", "ws_book_ticker")),
        ] {
            guard case .ticker(let ticker) = try #require(events.first) else { Issue.record("no ticker"); return }
            #expect(ticker.market == T.market("BNBUSDT"))
            #expect(ticker.time == T.receivedAt)
            #expect(ticker.bid?.description == "25.35190000")
            #expect(ticker.bidQuantity?.description == "31.21000000")
            #expect(ticker.ask?.description == "25.36520000")
            #expect(ticker.askQuantity?.description == "40.66000000")
            #expect(ticker.last == nil)
        }
    }

    @Test("ws_partial_depth: needs the combined stream's name for its symbol")
    func partialDepth() throws {
        let events = try T.stream(T.combined("bnbbtc@depth5@100ms", "ws_partial_depth"))
        guard case .bookSnapshot(let book) = try #require(events.first) else { Issue.record("no snapshot"); return }
        #expect(book.market == T.market("BNBBTC"))
        #expect(book.updateID == 160)
        #expect(book.time == nil)
        #expect(book.bids == [BookLevel(price: "0.0024", quantity: "10")])
        #expect(book.asks.map(\.price.description) == ["0.0026"])
        #expect(T.errorKind { _ = try T.fixture("ws_partial_depth") } == .missingField)
    }

    @Test("ws_server_shutdown_combined: serverShutdown, wrapped or raw")
    func serverShutdown() throws {
        #expect(try T.fixture("ws_server_shutdown_combined") == [.serverShutdown])
        #expect(try T.stream(#"{"e":"serverShutdown","E":1770123456789}"#) == [.serverShutdown])
    }

    @Test("ws_subscribe_response: acks and errors")
    func controlReplies() throws {
        #expect(try T.fixture("ws_subscribe_response") == [.subscribed(id: "1")])
        #expect(try T.stream(#"{"result":["btcusdt@trade"],"id":"abc"}"#) == [.subscribed(id: "abc")])
        #expect(
            try T.stream(#"{"error":{"code":2,"msg":"Invalid request: invalid stream name foo"},"id":7}"#)
                == [.rejected(id: "7", message: "code 2: Invalid request: invalid stream name foo")]
        )
        #expect(
            try T.stream(#"{"code":3,"msg":"Invalid JSON","id":null}"#) == [
                .rejected(id: nil, message: "code 3: Invalid JSON")
            ])
    }

    @Test("a payload naming its type late is read in a second pass")
    func lateEventType() throws {
        let late = #"{"s":"BNBBTC","U":1,"u":2,"b":[["1.5","2"]],"a":[],"E":1672515782136,"e":"depthUpdate"}"#
        guard case .bookDelta(let delta) = try #require(try T.stream(late).first) else {
            Issue.record("no delta"); return
        }
        #expect(delta.firstUpdateID == 1 && delta.lastUpdateID == 2)
        #expect(delta.bids.map(\.price.description) == ["1.5"])
        let wrapped = #"{"stream":"bnbbtc@depth@100ms","data":\#(late)}"#
        #expect(try T.stream(wrapped) == T.stream(late))
    }

    // MARK: - Malformed input, one test per error kind

    @Test("malformed JSON, truncated at every byte: malformedJSON, never a crash")
    func malformed() throws {
        let text = Array(T.combined("bnbbtc@depth@100ms", "ws_depth_diff").utf8)
        for length in 0..<text.count {
            let kind = T.errorKind { _ = try T.stream(Array(text[..<length])) }
            #expect(kind == .malformedJSON, "prefix \(length)")
        }
        #expect(T.errorKind { _ = try T.stream("{\"e\":\"trade\",}") } == .malformedJSON)
    }

    @Test("unknown event types and shapes: unknownMessage")
    func unknown() throws {
        #expect(T.errorKind { _ = try T.stream(#"{"e":"outboundAccountPosition","E":1}"#) } == .unknownMessage)
        #expect(T.errorKind { _ = try T.stream(#"{"stream":"x","data":{"e":"avgPrice","E":1}}"#) } == .unknownMessage)
        #expect(T.errorKind { _ = try T.stream(#"{"foo":1}"#) } == .unknownMessage)
        #expect(T.errorKind { _ = try T.stream(#""ping""#) } == .unknownMessage)
        #expect(T.errorKind { _ = try T.stream(#"{"stream":"x","data":{"x":1}}"#) } == .unknownMessage)
    }

    @Test("missing fields: missingField naming the field")
    func missing() throws {
        let depth = T.text("ws_depth_diff")
        for (field, pattern) in [
            ("U", #""U": 157,"#), ("u", #""u": 160,"#), ("s", #""s": "BNBBTC","#), ("E", #""E": 1672515782136,"#),
        ] {
            let error = T.error { _ = try T.stream(depth.replacingOccurrences(of: pattern, with: "")) }
            #expect(error?.kind == .missingField, "\(field)")
            #expect(error?.detail.contains("\"\(field)\"") == true, "\(String(describing: error))")
        }
        let trade = T.text("ws_trade")
        for pattern in [#""p": "0.001","#, #""q": "100","#, #""t": 12345,"#, #""m": true,"#, #""T": 1672515782136,"#] {
            #expect(
                T.errorKind { _ = try T.stream(trade.replacingOccurrences(of: pattern, with: "")) } == .missingField,
                "\(pattern)")
        }
        #expect(T.errorKind { _ = try T.stream(#"{"e":"kline","E":1,"s":"X"}"#) } == .missingField)
        #expect(
            T.errorKind { _ = try T.stream(T.text("ws_kline").replacingOccurrences(of: #""i": "1m","#, with: "")) }
                == .missingField)
        #expect(
            T.errorKind { _ = try T.stream(#"{"stream":"a@depth5","data":{"lastUpdateId":1,"bids":[]}}"#) }
                == .missingField)
        #expect(
            T.errorKind { _ = try T.stream(#"{"e":"depthUpdate","E":1,"s":"X","U":1,"u":1,"b":[["1"]],"a":[]}"#) }
                == .missingField)
    }

    @Test("invalid values: negative or NaN prices and quantities, U > u, empty symbols, wrong types")
    func invalid() throws {
        let depth = T.text("ws_depth_diff")
        var variants: [String] = []
        variants.append(depth.replacingOccurrences(of: "\"0.0024\"", with: "\"-0.0024\""))
        variants.append(depth.replacingOccurrences(of: "\"0.0024\"", with: "\"0\""))
        variants.append(depth.replacingOccurrences(of: "\"10\"", with: "\"-10\""))
        variants.append(depth.replacingOccurrences(of: "\"10\"", with: "\"NaN\""))
        variants.append(depth.replacingOccurrences(of: "\"0.0026\"", with: "\"Infinity\""))
        variants.append(depth.replacingOccurrences(of: "\"0.0026\"", with: "\"1e5\""))
        variants.append(depth.replacingOccurrences(of: "\"0.0026\"", with: "\"\""))
        variants.append(depth.replacingOccurrences(of: #""U": 157"#, with: #""U": 161"#))
        variants.append(depth.replacingOccurrences(of: #""U": 157"#, with: #""U": -1"#))
        variants.append(depth.replacingOccurrences(of: #""s": "BNBBTC""#, with: #""s": """#))
        variants.append(depth.replacingOccurrences(of: #""E": 1672515782136"#, with: #""E": 99999999999999999"#))
        variants.append(depth.replacingOccurrences(of: #""b": ["#, with: #""b": 5, "x": ["#))
        variants.append(T.text("ws_trade").replacingOccurrences(of: "\"0.001\"", with: "\"-0.001\""))
        variants.append(T.text("ws_trade").replacingOccurrences(of: "\"100\"", with: "\"NaN\""))
        variants.append(T.text("ws_trade").replacingOccurrences(of: #""m": true"#, with: #""m": "yes""#))
        variants.append(T.text("ws_ticker_24hr").replacingOccurrences(of: #""v": "10000""#, with: #""v": "-1""#))
        variants.append(T.text("ws_kline").replacingOccurrences(of: #""i": "1m""#, with: #""i": "7m""#))
        variants.append(T.text("ws_kline").replacingOccurrences(of: #""o": "0.0010""#, with: #""o": "-0.0010""#))
        for text in variants {
            let error = T.error { _ = try T.stream(text) }
            #expect(error?.kind == .invalidValue, "\(String(describing: error)) for \(text)")
        }
        let outOfOrder = T.error { _ = try T.stream(depth.replacingOccurrences(of: #""U": 157"#, with: #""U": 161"#)) }
        #expect(outOfOrder?.detail.contains("U 161 > last u 160") == true)
    }

    @Test("frames over 1 MiB: oversize, before parsing")
    func oversize() throws {
        let big = [UInt8](repeating: UInt8(ascii: " "), count: (1 << 20) + 1)
        #expect(T.errorKind { _ = try T.stream(big) } == .oversize)
        let justFits = Array(T.text("ws_trade").utf8) + [UInt8](repeating: UInt8(ascii: " "), count: (1 << 20) - 168)
        #expect(justFits.count <= 1 << 20)
        #expect(throws: Never.self) { _ = try T.stream(justFits) }
    }

    @Test("events append to what is already there")
    func appends() throws {
        var events: [StreamEvent] = [.pong]
        try Fixtures.withBytes("binance", "ws_trade") { raw in
            try T.api.parseStreamMessage(raw, context: T.context, receivedAt: T.receivedAt, into: &events)
        }
        #expect(events.count == 2 && events[0] == .pong)
    }
}
