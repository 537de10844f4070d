/// The load one venue generates on top of the normal market: stream messages per second by kind, summed
/// over the venue's subscribed markets (see docs/exchsim.md, "Load").
///
/// Every generated message comes from a real engine event (a book update with its own update id), so the
/// ground truth (`/_sim/book`) stays exactly what the streams sent.
package struct LoadMix: Sendable, Equatable {
    /// What a load rate drives.
    package enum Kind: String, Sendable, CaseIterable {
        /// Depth messages (diffs, Bybit deltas, WhiteBIT incrementals): book updates of a few levels near
        /// the touch on markets with a depth subscription.
        case depth
        /// Touch messages (Binance/WhiteBIT `bookTicker`, Bybit `tickers`): touch-size updates on markets
        /// with such a subscription.
        case ticker
    }

    package var depth: Double = 0
    package var ticker: Double = 0

    package init(depth: Double = 0, ticker: Double = 0) {
        self.depth = depth
        self.ticker = ticker
    }

    package var isOff: Bool { self.depth == 0 && self.ticker == 0 }

    package func rate(_ kind: Kind) -> Double {
        switch kind {
        case .depth: return self.depth
        case .ticker: return self.ticker
        }
    }

    package mutating func set(_ kind: Kind, _ rate: Double) {
        switch kind {
        case .depth: self.depth = rate
        case .ticker: self.ticker = rate
        }
    }

    /// Highest accepted rate per kind; far above what one core can send, low enough to catch typos.
    package static let maxRate = 10_000_000.0

    /// Why trades are not a load kind: they are the market's history.
    package static let tradesRefusal =
        "trades cannot be generated as load: trades are the market's history (contiguous ids, candles, REST"
        + " trades are pure functions of the seed), so extra ones would contradict /_sim/trades and /_sim/candles;"
        + " raise trade rates consistently with ordersPerMinute in --markets-file or with --time-scale"

    /// Checks one `KIND=RATE` value.
    package static func parseRate(kind name: String, value: String) -> Result<(Kind, Double), LoadMixError> {
        guard let kind = Kind(rawValue: name) else {
            if name == "trades" || name == "trade" { return .failure(LoadMixError(message: Self.tradesRefusal)) }
            return .failure(
                LoadMixError(
                    message: "unknown load kind \"\(name)\"; expected "
                        + Kind.allCases.map(\.rawValue).joined(separator: " or ")))
        }
        guard let rate = Double(value), rate.isFinite, rate >= 0, rate <= Self.maxRate else {
            return .failure(
                LoadMixError(
                    message: "\(name)=\(value): the rate must be a number of messages per second from 0 to"
                        + " \(Int(Self.maxRate))"))
        }
        return .success((kind, rate))
    }

    /// Parses `VENUE:KIND=RATE[,KIND=RATE…]` (the `--load` flag), e.g. `binance:depth=60000,ticker=20000`.
    /// Kinds not named stay 0.
    package static func parse(flag text: String) -> Result<(venue: String, mix: LoadMix), LoadMixError> {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
            return .failure(
                LoadMixError(
                    message: "expected VENUE:KIND=RATE[,KIND=RATE…] (e.g. binance:depth=60000), got \"\(text)\""))
        }
        let venue = String(text[..<colon])
        let items = text[text.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false)
        var mix = LoadMix()
        var seen: Set<Kind> = []
        for item in items {
            let parts = item.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                return .failure(LoadMixError(message: "expected KIND=RATE, got \"\(item)\" in \"\(text)\""))
            }
            switch Self.parseRate(kind: String(parts[0]), value: String(parts[1])) {
            case .failure(let error): return .failure(error)
            case .success(let (kind, rate)):
                guard seen.insert(kind).inserted else {
                    return .failure(LoadMixError(message: "\(kind.rawValue) given twice in \"\(text)\""))
                }
                mix.set(kind, rate)
            }
        }
        return .success((venue, mix))
    }

    package var json: JSONValue {
        .object(Kind.allCases.map { ($0.rawValue, JSONValue.number(String(Int64(self.rate($0).rounded())))) })
    }
}

/// A bad load specification, with what was wrong.
package struct LoadMixError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String
    package var description: String { self.message }
}
