import CryptodExchanges
import CryptodModel
import Foundation

/// A request for history, from `cryptoctl backfill` or the gateway: one market, one timeframe, one range.
package struct BackfillRequest: Sendable, Hashable {
    package var market: MarketKey
    package var interval: CandleInterval
    /// Epoch milliseconds, `[from, to)`.
    package var from: Int64
    package var to: Int64
    package var order: BackfillOrder

    /// A request that cannot be served, with what is accepted.
    package struct Problem: Error, CustomStringConvertible, Equatable {
        package let message: String
        package var description: String { message }
    }

    /// The most candles one request may ask for: ten years of minutes. More is almost certainly a mistake
    /// in the range, and would tie up the exchange's budget for days.
    package static let maximumCandles = 5_300_000

    /// Parses the control argument
    /// `{"exchange":"binance","market":"spot","symbol":"BTCUSDT","timeframe":"1m","from":…,"to":…,"order":"newest_first"}`
    /// (times in epoch ms; `to` defaults to now, `from` to a day before `to`, `order` to newest first).
    /// - Parameters:
    ///   - exchanges: The exchanges this configuration runs.
    ///   - now: Epoch ms, for the defaults and to refuse the future.
    package static func parse(_ argument: String, exchanges: [ExchangeID], now: Int64) -> Result<Self, Problem> {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(argument.utf8))) as? [String: Any] else {
            return .failure(
                Problem(
                    message:
                        "the backfill argument is not a JSON object; send {\"exchange\":\"binance\",\"symbol\":\"BTCUSDT\",\"timeframe\":\"1m\",\"from\":EPOCH_MS,\"to\":EPOCH_MS}"
                ))
        }
        return parse(object, exchanges: exchanges, now: now)
    }

    package static func parse(_ object: [String: Any], exchanges: [ExchangeID], now: Int64) -> Result<Self, Problem> {
        func fail(_ message: String) -> Result<Self, Problem> { .failure(Problem(message: message)) }
        let known = exchanges.map(\.rawValue).sorted().joined(separator: ", ")
        guard let name = object["exchange"] as? String, let exchange = ExchangeID(name.lowercased()),
            exchanges.contains(exchange)
        else { return fail("\"exchange\" must be one of the enabled exchanges: \(known)") }
        let typeName = (object["market"] as? String) ?? "spot"
        guard let type = MarketType(name: typeName.lowercased()) else {
            return fail("\"market\" must be spot, linear or inverse, not \(typeName)")
        }
        guard let rawSymbol = object["symbol"] as? String, !rawSymbol.isEmpty, rawSymbol.utf8.count <= 64 else {
            return fail("\"symbol\" is required: the exchange's form (BTCUSDT, BTC_USDT) or unified (BTC/USDT)")
        }
        let symbol = unify(rawSymbol, exchange: exchange)
        let supported = ExchangeIntervals.supported(by: exchange).map(\.description)
        guard let timeframe = object["timeframe"] as? String, let interval = CandleInterval(name: timeframe) else {
            return fail("\"timeframe\" must be one of \(supported.joined(separator: ", "))")
        }
        guard ExchangeIntervals.supports(exchange, interval) else {
            return fail("\(exchange) has no \(interval) candles; it offers \(supported.joined(separator: ", "))")
        }
        func milliseconds(_ key: String) -> Int64?? {
            guard let value = object[key] else { return .some(nil) }
            if let number = value as? NSNumber { return number.int64Value }
            if let text = value as? String, let parsed = Int64(text) { return parsed }
            return nil
        }
        guard let toValue = milliseconds("to"), let fromValue = milliseconds("from") else {
            return fail("\"from\" and \"to\" are epoch milliseconds (integers)")
        }
        let to = toValue ?? now
        let from = fromValue ?? (to - 86_400_000)
        guard from < to else { return fail("the range is empty or inverted: from \(from) is not before to \(to)") }
        guard from >= 1_230_768_000_000 else {
            return fail("\"from\" \(from) is before 2009; no exchange has candles that old")
        }
        guard from < now else { return fail("\"from\" \(from) is in the future (now is \(now))") }
        let orderName = (object["order"] as? String) ?? BackfillOrder.newestFirst.rawValue
        guard let order = BackfillOrder(rawValue: orderName) else {
            return fail("\"order\" must be newest_first or oldest_first, not \(orderName)")
        }
        let request = BackfillRequest(
            market: MarketKey(exchange: exchange, type: type, symbol: symbol), interval: interval, from: from,
            to: min(to, now), order: order)
        guard let range = TimeRange(start: request.from, end: request.to),
            CandleGrid(interval).count(in: range) <= maximumCandles
        else {
            return fail(
                "the range holds more than \(maximumCandles) \(interval) candles; split it into smaller requests")
        }
        return .success(request)
    }

    /// `BTC/USDT` to the exchange's own spelling; other spellings upper-cased.
    static func unify(_ symbol: String, exchange: ExchangeID) -> String {
        let upper = symbol.uppercased()
        guard let (base, quote) = SymbolNotation.split(upper) else { return upper }
        return SymbolNotation.exchangeSymbol(exchange, base: base, quote: quote)
    }
}
