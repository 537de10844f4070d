import NIOCore

/// `GET /api/v1/public/kline` (whitebit.md §2.3).
extension WhiteBITVenue {
    static let klineIntervals = [
        "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M",
    ]

    /// The window used when `start` is absent: minute intervals → 1 day, hours → 1 week,
    /// days and weeks → 1 month, the month → 1 year.
    static func defaultWindowMs(_ name: String) -> Int64 {
        switch name.last {
        case "m": return 86_400_000
        case "h": return 7 * 86_400_000
        case "d", "w": return 30 * 86_400_000
        default: return 365 * 86_400_000
        }
    }

    /// `market`, `interval` (default `1h`), `start`/`end` in seconds, `limit` 1–1440 (default 1440).
    /// Rows `[time, open, close, high, low, stockVolume, moneyVolume]`, oldest first. With `start`,
    /// candles run forward from it (capped at `end`); without it, the latest `limit` candles opening
    /// within the default window that ends at `end` (default now; 1m → 1440 candles, 1h → 168).
    func kline(_ request: SimRequest, now: Int64) throws(WhiteBITError) -> SimResponse {
        let market = try self.market(named: request.parameter("market"))
        let name = request.parameter("interval").flatMap { $0.isEmpty ? nil : $0 } ?? "1h"
        guard Self.klineIntervals.contains(name), let interval = CandleInterval.parse(name) else {
            throw .plain(.badRequest, "The selected interval is invalid.")
        }
        let limit = Int(try self.integer(request, "limit", range: 1...1_440) ?? 1_440)
        let start = try self.integer(request, "start", range: 0...Int64.max / 1_000).map { $0 * 1_000 }
        let end = try self.integer(request, "end", range: 0...Int64.max / 1_000).map { $0 * 1_000 }
        if let start, let end, start > end { throw .plain(.badRequest, "The start must be less than or equal to end.") }
        let asOf = Self.cacheTime(now)
        let history = self.context.engine.history
        let candles: [Candle]
        if let start {
            candles = history.candles(
                market: market, interval: interval, start: start, end: end, limit: limit, now: asOf)
        } else {
            let last = min(end ?? asOf, asOf)
            // Only the latest buckets are computed: no more than the window can hold.
            let window = Self.defaultWindowMs(name)
            let fits = Int(window / interval.nominalWidth) + 1
            candles = history.candles(
                market: market, interval: interval, start: nil, end: last, limit: min(limit, fits), now: asOf
            )
            .filter { $0.openTime > last - window }
        }
        let spec = self.spec(market)
        var w = JSONWriter(capacity: 64 + candles.count * 110)
        w.raw("{\"success\":true,\"message\":null,\"result\":[")
        for (index, candle) in candles.enumerated() {
            if index > 0 { w.raw(",") }
            WhiteBITRender.candleRow(&w, candle, market: spec)
        }
        w.raw("]}")
        return Self.json(.ok, w.buffer)
    }
}
