import CryptodConfig
import CryptodExchanges
import CryptodFormats
import CryptodIPC
import CryptodModel
import CryptodOps
import CryptodRuntime
import CryptodWire
import DequeModule
import Foundation
import Logging
import Metrics
import NIOCore
import Synchronization

/// The gateway's view of stream processing across the processes: it asks each one for its ``StreamReport``
/// (the `stream` control command; itself without a round trip), passes changes to all of them (mode,
/// overrides, throttle, emergency actions), samples the reports every `interval` to turn totals into rates,
/// and pushes the figures to the WebSocket clients subscribed to `stats`.
package final class StreamMonitor: Sendable {
    /// One process's answer.
    package struct Answer: Sendable {
        package var process: String
        package var report: StreamReport?
        package var error: String?
    }

    private struct Sample {
        var time: Int64
        var messages: [String: UInt64]
        var sent: UInt64
        var dropped: UInt64
        var conflated: UInt64
    }

    let survey: ProcessSurvey
    package let own: StreamControl
    let hub: WebSocketHub
    let state: MarketState
    package let latency: StageLatency
    let interval: Duration
    /// Rates are taken over the samples of the last `window`.
    let window: Duration
    /// REST and WebSocket figures per exchange from the metrics the alert monitor scrapes.
    package struct ExchangeFigures: Sendable {
        package var requestsPerMinute: Double?
        package var successRate: Double?
        package var reconnects: Double?
    }

    let exchangeFigures: @Sendable () -> [String: ExchangeFigures]
    private let samples = Mutex(Deque<Sample>())
    private let logger: Logger
    /// The seed's stream figures as gauges, set at every sample (rates and ratios over the window).
    private let processingRate: Gauge
    private let dropRate: Gauge
    private let latencyGauges: [String: Gauge]

    init(
        survey: ProcessSurvey, own: StreamControl, hub: WebSocketHub, state: MarketState, latency: StageLatency,
        interval: Duration = .seconds(2), window: Duration = .seconds(10),
        factory: any MetricsFactory = MetricsSystem.factory,
        exchangeFigures: @escaping @Sendable () -> [String: ExchangeFigures] = { [:] }, logger: Logger
    ) {
        self.exchangeFigures = exchangeFigures
        self.survey = survey
        self.own = own
        self.hub = hub
        self.state = state
        self.latency = latency
        self.interval = interval
        self.window = window
        self.logger = logger
        processingRate = Gauge(label: "cryptod_messages_processing_rate", factory: factory)
        dropRate = Gauge(label: "cryptod_stream_drop_rate", factory: factory)
        var gauges: [String: Gauge] = [:]
        for stage in StageLatency.Stage.allCases {
            // Not `quantile`: Prometheus keeps that label for summaries, and these are gauges.
            for percentile in ["p50", "p90", "p99"] {
                gauges[stage.rawValue + percentile] = Gauge(
                    label: "cryptod_processing_latency_seconds",
                    dimensions: [("stage", stage.rawValue), ("percentile", percentile)], factory: factory)
            }
        }
        latencyGauges = gauges
    }

    // MARK: - Asking

    /// Every process's report (`argument` empty) or its report after applying `argument`'s change.
    package func ask(_ topology: Topology, argument: String = "") async -> [Answer] {
        let specs = topology.processes
        return await withTaskGroup(of: (Int, Answer).self) { group in
            for (index, spec) in specs.enumerated() {
                let name = spec.name.description
                group.addTask { [self] in
                    if name == survey.selfName { return (index, Self.decode(name, own.answer(request(argument)))) }
                    var request = request(argument)
                    request.target = name
                    switch await survey.request(.controlRequest(request), path: spec.socketPath) {
                    case .success(.controlReply(let reply)): return (index, Self.decode(name, reply))
                    case .success(let other):
                        return (
                            index, Answer(process: name, error: "answered \(other.type) instead of a control reply")
                        )
                    case .failure(let failure): return (index, Answer(process: name, error: failure.description))
                    }
                }
            }
            var answers = [Answer?](repeating: nil, count: specs.count)
            for await (index, answer) in group { answers[index] = answer }
            return answers.compactMap { $0 }
        }
    }

    private func request(_ argument: String) -> ControlRequest {
        ControlRequest(requestID: UInt32.random(in: 1...UInt32.max), command: .stream, argument: argument)
    }

    private static func decode(_ name: String, _ reply: ControlReply) -> Answer {
        guard reply.result == .ok else { return Answer(process: name, error: "\(reply.result): \(reply.message)") }
        do {
            return Answer(
                process: name, report: try JSONDecoder().decode(StreamReport.self, from: Data(reply.message.utf8)))
        } catch {
            return Answer(process: name, error: "answered a stream report that does not decode: \(error)")
        }
    }

    // MARK: - Sampling

    /// Samples every `interval` and pushes `stats` to subscribed clients, until cancelled.
    func run(topology: @escaping @Sendable () -> Topology) async {
        while !Task.isCancelled {
            let answers = await ask(topology())
            record(answers)
            if hub.wantsAnyStats {
                var json = JSONWriter(capacity: 2048)
                json.object { json in
                    json.field("type", "stats")
                    json.field("topic", "stats")
                    writeStats(answers, into: &json)
                }
                hub.publishStats(ByteBuffer(bytes: json.bytes))
            }
            try? await Task.sleep(for: interval)
        }
    }

    func record(_ answers: [Answer], now: Int64 = WallClock.nowNanoseconds()) {
        var messages: [String: UInt64] = [:]
        var conflated: UInt64 = 0
        for answer in answers {
            guard let report = answer.report else { continue }
            messages[answer.process] = report.messagesTotal
            conflated += report.conflatedTotal
        }
        let sample = Sample(
            time: now, messages: messages, sent: hub.sentTotal, dropped: hub.droppedMessagesTotal, conflated: conflated)
        let keep = Int64(window.components.seconds) * 1_000_000_000
        samples.withLock { samples in
            samples.append(sample)
            while let first = samples.first, now - first.time > keep * 3 { samples.removeFirst() }
        }
        let rates = rates()
        processingRate.record(
            answers.filter { $0.process.hasPrefix("ingestor-") }.reduce(0.0) {
                $0 + (rates.messages[$1.process] ?? 0)
            })
        let attempted = rates.sent + rates.dropped
        dropRate.record(attempted > 0 ? rates.dropped / attempted : 0)
        for entry in latency.percentiles() {
            for (percentile, value) in [("p50", entry.p50), ("p90", entry.p90), ("p99", entry.p99)] {
                if let value { latencyGauges[entry.stage.rawValue + percentile]?.record(value / 1000) }
            }
        }
    }

    /// Per second over the last `window`: messages of each process, client messages sent, dropped, conflated.
    func rates() -> (messages: [String: Double], sent: Double, dropped: Double, conflated: Double, seconds: Double) {
        samples.withLock { samples in
            guard let last = samples.last else { return ([:], 0, 0, 0, 0) }
            let keep = Int64(window.components.seconds) * 1_000_000_000
            let first = samples.first { last.time - $0.time <= keep } ?? last
            let seconds = Double(last.time - first.time) / 1e9
            guard seconds > 0 else { return ([:], 0, 0, 0, 0) }
            func rate(_ a: UInt64?, _ b: UInt64?) -> Double {
                guard let a, let b, b >= a else { return 0 }
                return Double(b - a) / seconds
            }
            var messages: [String: Double] = [:]
            for (name, total) in last.messages { messages[name] = rate(first.messages[name], total) }
            return (
                messages, rate(first.sent, last.sent), rate(first.dropped, last.dropped),
                rate(first.conflated, last.conflated), seconds
            )
        }
    }

    // MARK: - JSON

    /// The members of `/api/v1/stream/stats` (and of a `stats` event).
    func writeStats(_ answers: [Answer], into json: inout JSONWriter) {
        let rates = rates()
        let reports = answers.compactMap(\.report)
        let ingestors = reports.filter { $0.process.hasPrefix("ingestor-") }
        let ownReport = own.report()
        json.field("time", Timestamp(nanoseconds: WallClock.nowNanoseconds()))
        json.field("window_seconds", Self.round(rates.seconds))
        json.field("mode", ownReport.mode.rawValue)
        json.field("configured_mode", ownReport.configuredMode.rawValue)
        json.field("mode_reason", ownReport.modeReason)
        json.field("throttle_percent", Int64(ownReport.throttlePercent))
        json.field("stopped", ownReport.stopped)
        let total = ingestors.reduce(0) { $0 + $1.messagesTotal }
        let perSecond = ingestors.reduce(0.0) { $0 + (rates.messages[$1.process] ?? 0) }
        let sentTotal = hub.sentTotal
        let droppedTotal = hub.droppedMessagesTotal
        json.key("totals")
        json.object { json in
            json.field("messages_total", Int64(clamping: total))
            json.field("messages_per_second", Self.round(perSecond))
            json.field("conflated_total", Int64(clamping: reports.reduce(0) { $0 + $1.conflatedTotal }))
            json.field("conflated_per_second", Self.round(rates.conflated))
            json.field("dropped_total", Int64(clamping: droppedTotal))
            let attempted = Double(sentTotal + droppedTotal)
            json.field("drop_rate", attempted > 0 ? Self.round(Double(droppedTotal) / attempted, places: 6) : 0)
        }
        let figures = exchangeFigures()
        json.key("exchanges")
        json.array { json in
            for id in ExchangeRegistry.supported {
                let process = ProcessName.ingestor(id).description
                guard let answer = answers.first(where: { $0.process == process }) else { continue }
                json.object { json in
                    json.field("exchange", id.rawValue)
                    json.field("process", process)
                    json.field("answering", answer.report != nil)
                    json.field("connected", state.connection(id).map { $0.state == .connected } ?? false)
                    json.field("messages_total", Int64(clamping: answer.report?.messagesTotal ?? 0))
                    json.field("messages_per_second", Self.round(rates.messages[process] ?? 0))
                    json.field("conflated_total", Int64(clamping: answer.report?.conflatedTotal ?? 0))
                    let figure = figures[id.rawValue]
                    for (name, value) in [
                        ("requests_per_minute", figure?.requestsPerMinute),
                        ("request_success_rate", figure?.successRate), ("reconnects_total", figure?.reconnects),
                    ] {
                        if let value { json.field(name, Self.round(value, places: 4)) } else { json.nullField(name) }
                    }
                    if let error = answer.error { json.field("error", error) }
                }
            }
        }
        json.key("stages")
        json.array { json in
            for entry in latency.percentiles() {
                json.object { json in
                    json.field("stage", entry.stage.rawValue)
                    json.field("events", Int64(clamping: entry.count))
                    json.key("latency_ms")
                    json.object { json in
                        for (name, value) in [("p50", entry.p50), ("p90", entry.p90), ("p99", entry.p99)] {
                            if let value {
                                json.field(name, Self.round(value, places: 3))
                            } else {
                                json.nullField(name)
                            }
                        }
                    }
                }
            }
        }
        json.key("websocket")
        json.object { json in
            json.field("clients", Int64(hub.clientCount))
            json.field("messages_sent_total", Int64(clamping: sentTotal))
            json.field("messages_per_second", Self.round(rates.sent))
            json.field("slow_disconnects", Int64(hub.slowDisconnects))
        }
    }

    static func round(_ value: Double, places: Int = 1) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (value * scale).rounded() / scale
    }
}

extension WebSocketHub {
    /// Whether any client wants `stats` (the sampler skips encoding otherwise).
    var wantsAnyStats: Bool { clientInfos().contains { $0.stats } }
}

extension JSONWriter {
    /// A measurement member (see ``JSONWriter/value(figure:)``).
    mutating func field(_ name: String, _ figure: Double) {
        key(name)
        value(figure: figure)
    }

    mutating func nullField(_ name: String) {
        key(name)
        null()
    }
}
