import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodSinks
import CryptodWire
import Logging
import Metrics

/// Follows `trading_pairs.is_active`: the set of markets cryptod ingests, which a Laravel application may
/// change by flipping a row or adding one. The configuration seeds it (its markets are switched on at every
/// start); from then on the table is polled, and every change subscribes or unsubscribes that market alone
/// through its ingestor's runtime subscriptions, so no other market is touched.
///
/// Changes are edge-triggered: a row that turns active (or appears active) is subscribed, a row that turns
/// inactive (or disappears) is unsubscribed. Rows that were inactive from the start are left alone, so a
/// market subscribed by hand with `cryptoctl subscribe` is not undone by a row the writer created for it.
/// Polling (every `interval`) rather than LISTEN/NOTIFY keeps one code path for a Laravel update, a psql
/// session and a migration alike, at the cost of at most one interval of delay.
package final class ActiveMarkets: Sendable {
    private let history: PostgresHistory
    private let exchanges: [ExchangeConfig]
    private let runtimeDirectory: String
    private let interval: Duration
    private let logger: Logger
    private let changes: Counter
    private let failures: Counter
    private let active: Gauge

    package init(
        history: PostgresHistory, exchanges: [ExchangeConfig], runtimeDirectory: String,
        interval: Duration = .seconds(2), logger: Logger
    ) {
        self.history = history
        self.exchanges = exchanges
        self.runtimeDirectory = runtimeDirectory
        self.interval = interval
        self.logger = logger
        changes = Counter(label: "cryptod_scheduler_market_changes_total")
        failures = Counter(label: "cryptod_scheduler_market_change_failures_total")
        active = Gauge(label: "cryptod_scheduler_active_markets")
    }

    /// A subscribe or unsubscribe to apply.
    package struct Change: Sendable, Hashable {
        package var market: MarketKey
        package var subscribe: Bool
    }

    /// What to do between two readings of the table: pure, so the rules are table-tested.
    /// - Parameters:
    ///   - previous: The last reading (`nil` at start: only active rows are acted on, by subscribing).
    ///   - current: This reading.
    package static func changes(from previous: [MarketKey: Bool]?, to current: [MarketKey: Bool]) -> [Change] {
        var result: [Change] = []
        for (market, isActive) in current {
            let before = previous?[market]
            if isActive, before != true { result.append(Change(market: market, subscribe: true)) }
            if !isActive, before == true { result.append(Change(market: market, subscribe: false)) }
        }
        if let previous {
            for (market, wasActive) in previous where wasActive && current[market] == nil {
                result.append(Change(market: market, subscribe: false))
            }
        }
        return result.sorted { ($0.market, $0.subscribe ? 1 : 0) < ($1.market, $1.subscribe ? 1 : 0) }
    }

    /// Seeds the table from the configuration, then follows it until cancelled.
    package func run() async {
        let configured = exchanges.flatMap(\.marketKeys)
        var previous: [MarketKey: Bool]?
        var seeded = false
        while !Task.isCancelled {
            do {
                if !seeded {
                    try await history.activate(configured)
                    seeded = true
                }
                let current = try await history.tradingPairs(exchanges: exchanges.map(\.exchange))
                active.record(current.values.filter { $0 }.count)
                var applied = current
                for change in Self.changes(from: previous, to: current) {
                    // At start, a configured market is already subscribed by its ingestor's configuration.
                    if previous == nil, change.subscribe, configured.contains(change.market) { continue }
                    if await apply(change) == .retry {
                        // Not applied: compare against the old state next time, so it is tried again.
                        applied[change.market] = previous?[change.market] ?? !change.subscribe
                    }
                }
                previous = applied
            } catch {
                logger.warning(
                    "could not read trading_pairs; trying again", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    private enum Outcome { case done, retry }

    /// Sends the change to the market's ingestor. A refusal (a market the exchange does not list) is final:
    /// asking again every interval would only repeat it; an unreachable ingestor is asked again.
    private func apply(_ change: Change) async -> Outcome {
        let market = change.market
        let ingestor = ProcessName.ingestor(market.exchange)
        guard exchanges.contains(where: { $0.exchange == market.exchange }) else { return .done }
        let request = ControlRequest(
            requestID: UInt32.random(in: 1...UInt32.max), command: change.subscribe ? .subscribe : .unsubscribe,
            target: ingestor.description,
            argument: "{\"market\":\"\(market.type)\",\"symbol\":\"\(market.symbol)\",\"channels\":[]}")
        let path = Topology.socketPath(for: ingestor, runtimeDirectory: runtimeDirectory)
        do {
            let answer = try await LinkClient.request(
                .controlRequest(request), path: path, identity: LinkIdentity(role: .scheduler, name: "scheduler"),
                timeout: .seconds(10), logger: logger)
            guard case .controlReply(let reply) = answer else { return .retry }
            guard reply.result == .ok else {
                failures.increment()
                logger.error(
                    "the ingestor refused a market change from trading_pairs; fix the row (symbol, market_type)",
                    metadata: ["market": "\(market)", "subscribe": "\(change.subscribe)", "reason": "\(reply.message)"])
                return reply.result == .invalidRequest ? .done : .retry
            }
            changes.increment()
            logger.info(
                "\(change.subscribe ? "subscribed" : "unsubscribed") a market, following trading_pairs.is_active",
                metadata: ["market": "\(market)"])
            return .done
        } catch {
            failures.increment()
            logger.warning(
                "could not reach the ingestor for a market change; trying again",
                metadata: ["market": "\(market)", "error": "\(error)"])
            return .retry
        }
    }
}
