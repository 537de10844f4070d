import CryptodExchanges
import CryptodModel
import Testing

/// Helpers for the Bybit adapter tests.
enum BybitTest {
    static let api = BybitAPI()
    static let receivedAt = Timestamp(milliseconds: 1_700_000_000_000)

    static func market(_ symbol: String, _ type: MarketType = .spot) -> MarketKey {
        MarketKey(exchange: .bybit, type: type, symbol: symbol)
    }

    static func fixture(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
        Fixtures.bytes("bybit", name, sourceLocation: sourceLocation)
    }

    /// Parses one frame as if it arrived on a `type` connection.
    static func stream(_ bytes: [UInt8], _ type: MarketType = .spot) throws(ExchangeParseError) -> [StreamEvent] {
        var events: [StreamEvent] = []
        let result: Result<Void, ExchangeParseError> = bytes.withUnsafeBytes { raw in
            do throws(ExchangeParseError) {
                try api.parseStreamMessage(
                    raw, context: StreamContext(type: type), receivedAt: receivedAt, into: &events)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
        return events
    }

    static func stream(_ text: String, _ type: MarketType = .spot) throws(ExchangeParseError) -> [StreamEvent] {
        try stream(Array(text.utf8), type)
    }

    /// The kind of error parsing `text` as a frame throws, or `nil` when it parses.
    static func streamError(_ text: String, _ type: MarketType = .spot) -> ExchangeParseError.Kind? {
        do throws(ExchangeParseError) {
            _ = try stream(text, type)
            return nil
        } catch {
            return error.kind
        }
    }

    /// The kind of error `parse` throws, or `nil` when it succeeds.
    static func errorKind<T>(_ parse: () throws(ExchangeParseError) -> T) -> ExchangeParseError.Kind? {
        do throws(ExchangeParseError) {
            _ = try parse()
            return nil
        } catch {
            return error.kind
        }
    }

    /// The only event of a frame.
    static func single(_ events: [StreamEvent], sourceLocation: SourceLocation = #_sourceLocation) -> StreamEvent? {
        #expect(events.count == 1, sourceLocation: sourceLocation)
        return events.first
    }

    /// Decimals as the exchange wrote them (scale kept), for exact comparisons.
    static func text(_ values: [BookLevel]) -> [String] { values.map { "\($0.price)@\($0.quantity)" } }
}
