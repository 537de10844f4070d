import CryptodExchanges
import CryptodModel
import Metrics
import Synchronization

/// The ingestor's own metrics. Every object is made once here, never per message: swift-metrics
/// handlers look labels up in a locked table on each construction.
final class IngestorMetrics: Sendable {
    let exchange: ExchangeID
    private let events: [String: Counter]
    private let parseErrors: [ExchangeParseError.Kind: Counter]
    let resyncs: Counter
    let gapFilledTrades: Counter
    let gapFilledCandles: Counter
    let gaps: Counter
    /// Gaps whose trades REST could not reach back to: a real hole, reported in the gap-closed event.
    let gapsUnrecovered: Counter
    let booksSynced: Gauge
    let divergence: Gauge
    let latency: Metrics.Timer
    let rejected: Counter
    let invalid: Counter
    /// Events an operator pushed through `POST /api/v1/stream/process` (origin `injected`).
    let injected: Counter

    init(exchange: ExchangeID) {
        self.exchange = exchange
        let name = exchange.rawValue
        var events: [String: Counter] = [:]
        for channel in ["ticker", "trades", "candles", "book"] {
            events[channel] = Counter(
                label: "cryptod_ingestor_messages_total", dimensions: [("exchange", name), ("stream", channel)])
        }
        self.events = events
        var parseErrors: [ExchangeParseError.Kind: Counter] = [:]
        for kind in ExchangeParseError.Kind.allCases {
            parseErrors[kind] = Counter(
                label: "cryptod_ingestor_parse_errors_total", dimensions: [("exchange", name), ("kind", kind.rawValue)])
        }
        self.parseErrors = parseErrors
        resyncs = Counter(label: "cryptod_ingestor_book_resyncs_total", dimensions: [("exchange", name)])
        gapFilledTrades = Counter(
            label: "cryptod_ingestor_gap_filled_total", dimensions: [("exchange", name), ("stream", "trades")])
        gapFilledCandles = Counter(
            label: "cryptod_ingestor_gap_filled_total", dimensions: [("exchange", name), ("stream", "candles")])
        gaps = Counter(label: "cryptod_ingestor_stream_gaps_total", dimensions: [("exchange", name)])
        gapsUnrecovered = Counter(
            label: "cryptod_ingestor_gaps_unrecovered_total", dimensions: [("exchange", name), ("stream", "trades")])
        booksSynced = Gauge(label: "cryptod_ingestor_books_synced", dimensions: [("exchange", name)])
        divergence = Gauge(label: "cryptod_ingestor_book_divergence_levels", dimensions: [("exchange", name)])
        latency = Metrics.Timer(label: "cryptod_ingestor_event_latency_seconds", dimensions: [("exchange", name)])
        rejected = Counter(label: "cryptod_ingestor_subscriptions_rejected_total", dimensions: [("exchange", name)])
        invalid = Counter(label: "cryptod_ingestor_events_invalid_total", dimensions: [("exchange", name)])
        injected = Counter(label: "cryptod_ingestor_injected_events_total", dimensions: [("exchange", name)])
    }

    func event(_ channel: String) { events[channel]?.increment() }
    func parseError(_ kind: ExchangeParseError.Kind) { parseErrors[kind]?.increment() }
}
