import Metrics
import Synchronization

/// The gateway's own metrics, created through one swift-metrics factory.
///
/// The factory is passed in rather than taken from the global bootstrap, so tests can read these values
/// from their own `CryptodMetrics` registry while every test target shares one process.
///
/// | Metric | Type | Meaning |
/// | --- | --- | --- |
/// | `cryptod_gateway_ws_clients` | gauge | WebSocket clients connected now |
/// | `cryptod_gateway_ws_messages_sent_total` | counter | messages written to clients (events and replies) |
/// | `cryptod_gateway_ws_slow_client_disconnects_total` | counter | clients dropped because their queue overflowed |
/// | `cryptod_gateway_ws_refused_total` | counter | connections refused by `gateway.ws_max_clients` |
/// | `cryptod_gateway_ws_subscribe_errors_total` | counter | client requests answered with an error |
/// | `cryptod_gateway_events_total{channel}` | counter | market events received from the streams |
/// | `cryptod_gateway_scrape_errors_total{target}` | counter | processes that did not answer a `/metrics` scrape |
/// | `cryptod_gateway_http_requests_total{route,method,status}` | counter | REST requests answered |
/// | `cryptod_gateway_http_request_duration_seconds{route}` | histogram | REST answer time, by route |
/// | `cryptod_gateway_history_queries_total{result}` | counter | PostgreSQL history queries: `ok` or `error` |
///
/// The scrape-error counter names the silent process in `target`, because `process` is reserved for the
/// process that exports the series (see `CryptodMetrics`).
package final class GatewayMetrics: Sendable {
    private let factory: any MetricsFactory
    private let clients: Gauge
    private let connected = Atomic<Int>(0)
    let messagesSent: Counter
    let slowClientDisconnects: Counter
    let refused: Counter
    let subscribeErrors: Counter
    private let events: [MarketChannel: Counter]
    private let scrapeErrors = Mutex<[String: Counter]>([:])
    private let http = Mutex(HTTPTotals())
    private let historyOK: Counter
    private let historyFailed: Counter

    /// What `/api/v1/admin/metrics` reports of one route.
    package struct RouteTotals: Sendable, Equatable {
        package var byStatus: [Int: Int] = [:]
        package var seconds: Double = 0
        package var slowest: Double = 0
        package var count: Int { byStatus.values.reduce(0, +) }
    }

    private struct HTTPTotals {
        var counters: [String: Counter] = [:]
        var timers: [String: Metrics.Timer] = [:]
        var routes: [String: RouteTotals] = [:]
    }

    package init(factory: any MetricsFactory) {
        self.factory = factory
        clients = Gauge(label: "cryptod_gateway_ws_clients", factory: factory)
        messagesSent = Counter(label: "cryptod_gateway_ws_messages_sent_total", factory: factory)
        slowClientDisconnects = Counter(label: "cryptod_gateway_ws_slow_client_disconnects_total", factory: factory)
        refused = Counter(label: "cryptod_gateway_ws_refused_total", factory: factory)
        subscribeErrors = Counter(label: "cryptod_gateway_ws_subscribe_errors_total", factory: factory)
        var events: [MarketChannel: Counter] = [:]
        for channel in MarketChannel.allCases {
            events[channel] = Counter(
                label: "cryptod_gateway_events_total", dimensions: [("channel", channel.rawValue)], factory: factory)
        }
        self.events = events
        historyOK = Counter(
            label: "cryptod_gateway_history_queries_total", dimensions: [("result", "ok")], factory: factory)
        historyFailed = Counter(
            label: "cryptod_gateway_history_queries_total", dimensions: [("result", "error")], factory: factory)
        clients.record(0)
    }

    /// A REST request was answered. Labels are the route template (bounded), not the path.
    func httpRequest(route: String, method: String, status: Int, duration: Duration) {
        let key = "\(route) \(method) \(status)"
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        let (counter, timer) = http.withLock { totals -> (Counter, Metrics.Timer) in
            var entry = totals.routes[route] ?? RouteTotals()
            entry.byStatus[status, default: 0] += 1
            entry.seconds += seconds
            entry.slowest = max(entry.slowest, seconds)
            totals.routes[route] = entry
            let counter =
                totals.counters[key]
                ?? Counter(
                    label: "cryptod_gateway_http_requests_total",
                    dimensions: [("route", route), ("method", method), ("status", "\(status)")], factory: factory)
            totals.counters[key] = counter
            let timer =
                totals.timers[route]
                ?? Metrics.Timer(
                    label: "cryptod_gateway_http_request_duration_seconds", dimensions: [("route", route)],
                    factory: factory)
            totals.timers[route] = timer
            return (counter, timer)
        }
        counter.increment()
        timer.recordNanoseconds(Int64(seconds * 1e9))
    }

    /// Requests per route so far.
    package func routeTotals() -> [String: RouteTotals] {
        http.withLock { $0.routes }
    }

    func historyQuery(succeeded: Bool) {
        (succeeded ? historyOK : historyFailed).increment()
    }

    /// A client connected (`+1`) or left (`-1`).
    func clientsChanged(by delta: Int) {
        let now = connected.add(delta, ordering: .relaxed).newValue
        clients.record(now)
    }

    func eventReceived(_ channel: MarketChannel) {
        events[channel]?.increment()
    }

    /// `target` did not answer a metrics scrape.
    func scrapeFailed(target: String) {
        let counter = scrapeErrors.withLock { counters in
            if let known = counters[target] { return known }
            let made = Counter(
                label: "cryptod_gateway_scrape_errors_total", dimensions: [("target", target)], factory: factory)
            counters[target] = made
            return made
        }
        counter.increment()
    }
}
