import CryptodConfig
import CryptodIPC
import CryptodOps
import Logging
import Metrics
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The gateway's alert monitor: every `alerts.evaluation_interval` it scrapes every process (the same
/// merged exposition as `GET /metrics`), keeps a bounded history, evaluates the rules of
/// ``AlertCatalog`` (the ones shipped in etc/prometheus/), the health score and the recommendations, and
/// queues notifications for the webhook and e-mail channels. The REST routes read the last evaluation.
///
/// Delivery runs in its own task and in order, so a slow or dead receiver never delays evaluation; each
/// message is tried `1 + alerts.retries` times with a timeout per attempt and 1 s, 2 s, 4 s … between.
package final class AlertMonitor: Sendable {
    package struct Settings: Sendable, Equatable {
        package var enabled: Bool
        package var interval: Duration
        package var repeatInterval: Duration
        package var holdOverride: Duration?
        package var rangeCap: Duration?
        package var webhook: String?
        package var smtpServer: String?
        package var smtpFrom: String
        package var smtpTo: [String]
        package var timeout: Duration
        package var retries: Int

        package init(_ alerts: AlertsConfig) {
            enabled = alerts.enabled
            interval = alerts.evaluationInterval
            repeatInterval = alerts.repeatInterval
            holdOverride = alerts.forOverride
            rangeCap = alerts.rangeCap
            webhook = alerts.webhookURL?.revealed
            smtpServer = alerts.smtpServer
            smtpFrom = alerts.smtpFrom
            smtpTo = alerts.smtpTo
            timeout = alerts.timeout
            retries = alerts.retries
        }
    }

    /// What the last evaluation found.
    package struct Snapshot: Sendable {
        package var time: Double
        package var health: HealthReport
        package var alerts: [ActiveAlert]
        package var recommendations: [Recommendation]
        /// Rule name → why it could not be evaluated.
        package var ruleErrors: [String: String]
    }

    private struct State: Sendable {
        var history = ScrapeHistory()
        var engine: AlertEngine
        var policy: NotificationPolicy
        var snapshot: Snapshot?
    }

    package let settings: Settings
    private let scrape: @Sendable (Topology) async -> String
    /// The configuration in force: its topology says whom to scrape and expect, its values what the
    /// recommendations start from. The alert settings themselves apply from start.
    private let configuration: Mutex<Configuration>
    private let metrics: AlertMetrics
    private let logger: Logger
    private let state: Mutex<State>
    private let outbox: AsyncStream<AlertNotification>
    private let outboxInput: AsyncStream<AlertNotification>.Continuation
    private let host: String
    /// Sequence for Message-IDs.
    private let sent = Atomic<Int>(0)

    /// - Parameter scrape: The merged exposition of every process of a topology (``ClusterMetrics``).
    package init(
        configuration: Configuration, factory: any MetricsFactory, logger: Logger,
        scrape: @escaping @Sendable (Topology) async -> String
    ) {
        let settings = Settings(configuration.alerts)
        self.settings = settings
        self.scrape = scrape
        self.configuration = Mutex(configuration)
        self.logger = logger
        metrics = AlertMetrics(factory: factory)
        let retention = max(1800, 40 * Self.seconds(settings.interval))
        var history = ScrapeHistory(retention: retention, maxScrapes: 2000)
        history.retention = retention
        state = Mutex(
            State(
                history: history,
                engine: AlertEngine(rules: AlertCatalog.rules, holdOverride: settings.holdOverride.map(Self.seconds)),
                policy: NotificationPolicy(repeatInterval: Self.seconds(settings.repeatInterval))))
        (outbox, outboxInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1000))
        host = Self.hostName()
        if settings.enabled, let webhook = settings.webhook, WebhookTarget(webhook) == nil {
            logger.error("alerts.webhook_url is not a usable http URL; no webhook notifications will be sent")
        }
        if settings.enabled, let server = settings.smtpServer, Self.hostPort(server) == nil {
            logger.error(
                "alerts.smtp_server is not HOST:PORT; no e-mail notifications will be sent",
                metadata: ["smtp_server": "\(server)"])
        }
    }

    /// A reloaded configuration: topology and recommendation inputs at once.
    package func apply(_ next: Configuration) { configuration.withLock { $0 = next } }

    /// The last evaluation, or one made now when there has been none yet (routes called before the first
    /// tick still answer).
    package func snapshot() async -> Snapshot {
        if let snapshot = state.withLock({ $0.snapshot }) { return snapshot }
        return await evaluate(notify: false)
    }

    /// `expression` over the scrapes kept so far, at the newest one; empty when there is none yet or the
    /// expression fails (a figure for `/api/v1/stream/stats`, not an alert).
    package func query(_ expression: String) -> [VectorElement] {
        guard let parsed = try? PromQLExpression.parse(expression) else { return [] }
        return state.withLock { state in
            guard let time = state.history.latest?.time else { return [] }
            return (try? parsed.evaluate(at: time, in: state.history))?.elements ?? []
        }
    }

    /// Evaluates until cancelled; deliveries run beside it.
    package func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.deliverLoop() }
            let clock = ContinuousClock()
            var next = clock.now
            while !Task.isCancelled {
                _ = await evaluate(notify: settings.enabled)
                next = next.advanced(by: settings.interval)
                if next < clock.now { next = clock.now }
                do { try await Task.sleep(until: next, clock: clock) } catch { break }
            }
            outboxInput.finish()
        }
    }

    /// One scrape and evaluation; returns its snapshot.
    @discardableResult
    package func evaluate(notify: Bool) async -> Snapshot {
        let current = configuration.withLock { $0 }
        let text = await scrape(current.topology)
        let now = Double(WallClock.nowNanoseconds()) / 1e9
        let expected = current.topology.processes.map(\.name.description)
        let settingsNow = Self.recommendationSettings(current)
        let started = ContinuousClock.now
        let (snapshot, due) = state.withLock { state -> (Snapshot, [AlertNotification]) in
            state.history.append(Scrape(time: now, exposition: text))
            var ruleErrors: [String: String] = [:]
            var due: [AlertNotification] = []
            if settings.enabled {
                let (results, errors) = AlertEngine.evaluate(
                    state.engine.rules, at: now, in: state.history, rangeCap: settings.rangeCap.map(Self.seconds))
                ruleErrors = errors
                let transitions = state.engine.step(at: now, results: results)
                let firing = state.engine.sortedAlerts.filter { $0.state == .firing }
                due = state.policy.due(at: now, transitions: transitions, firing: firing)
            }
            let snapshot = Snapshot(
                time: now, health: HealthScore.report(at: now, history: state.history, expected: expected),
                alerts: state.engine.sortedAlerts,
                recommendations: Recommendations.derive(at: now, history: state.history, settings: settingsNow),
                ruleErrors: ruleErrors)
            state.snapshot = snapshot
            return (snapshot, due)
        }
        metrics.evaluated(snapshot, duration: ContinuousClock.now - started)
        for (rule, error) in snapshot.ruleErrors.sorted(by: { $0.key < $1.key }) {
            logger.warning("alert rule could not be evaluated", metadata: ["rule": "\(rule)", "error": "\(error)"])
        }
        if notify {
            for notification in due {
                logger.notice(
                    "alert \(notification.kind.rawValue)",
                    metadata: [
                        "alert": "\(notification.alert.rule)", "labels": "\(notification.alert.labels)",
                        "value": "\(notification.alert.value)", "repeat": "\(notification.repeatCount)",
                    ])
                outboxInput.yield(notification)
            }
        }
        return snapshot
    }

    // MARK: - Delivery

    private func deliverLoop() async {
        for await notification in outbox {
            if let webhook = settings.webhook, let target = WebhookTarget(webhook) {
                await deliver(notification, channel: "webhook") {
                    let body = NotificationFormat.webhookJSON(notification, source: "cryptod gateway on \(self.host)")
                    let status = try await WebhookClient.post(target, body: body, connectTimeout: self.settings.timeout)
                    guard (200..<300).contains(status) else { throw DeliveryError("the webhook answered \(status)") }
                }
            }
            if let server = settings.smtpServer, let (host, port) = Self.hostPort(server), !settings.smtpTo.isEmpty {
                let number = sent.wrappingAdd(1, ordering: .relaxed).newValue
                let messageID = "alert.\(Int64(Double(WallClock.nowNanoseconds()) / 1e6)).\(getpid()).\(number)"
                await deliver(notification, channel: "email") {
                    let message = NotificationFormat.email(
                        notification, from: self.settings.smtpFrom, to: self.settings.smtpTo,
                        date: Double(WallClock.nowNanoseconds()) / 1e9, messageID: messageID, host: self.host,
                        source: "cryptod gateway on \(self.host)")
                    try await SMTPClient.send(
                        host: host, port: port, helo: self.host, from: self.settings.smtpFrom,
                        recipients: self.settings.smtpTo, message: message, connectTimeout: self.settings.timeout)
                }
            }
        }
    }

    /// Tries `attempt` up to `1 + retries` times, each within `timeout`.
    private func deliver(
        _ notification: AlertNotification, channel: String, _ attempt: @escaping @Sendable () async throws -> Void
    ) async {
        var delay = Duration.seconds(1)
        for try_ in 0...settings.retries {
            let started = ContinuousClock.now
            do {
                try await withDeliveryTimeout(settings.timeout, attempt)
                metrics.delivered(channel: channel, result: "sent", duration: ContinuousClock.now - started)
                logger.info(
                    "alert notification sent",
                    metadata: [
                        "channel": "\(channel)", "alert": "\(notification.alert.rule)",
                        "state": "\(notification.kind.rawValue)",
                    ])
                return
            } catch {
                if Task.isCancelled { return }
                let last = try_ == settings.retries
                metrics.delivered(
                    channel: channel, result: last ? "failed" : "retried", duration: ContinuousClock.now - started)
                logger.warning(
                    last ? "alert notification failed; giving up" : "alert notification failed; retrying",
                    metadata: [
                        "channel": "\(channel)", "alert": "\(notification.alert.rule)", "attempt": "\(try_ + 1)",
                        "error": "\(error)",
                    ])
                if last { return }
                do { try await Task.sleep(for: delay) } catch { return }
                delay *= 2
            }
        }
    }

    // MARK: - Helpers

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// `host:port` or `[v6]:port`.
    static func hostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}

/// The monitor's own metrics.
struct AlertMetrics: Sendable {
    let factory: any MetricsFactory
    let evaluations: Counter
    let evaluationTimer: Metrics.Timer

    init(factory: any MetricsFactory) {
        self.factory = factory
        evaluations = Counter(label: "cryptod_alert_evaluations_total", factory: factory)
        evaluationTimer = Metrics.Timer(label: "cryptod_alert_evaluation_seconds", factory: factory)
        for channel in ["webhook", "email"] {
            for result in ["sent", "retried", "failed"] {
                _ = Counter(
                    label: "cryptod_alert_notifications_total", dimensions: [("channel", channel), ("result", result)],
                    factory: factory)
            }
        }
    }

    func evaluated(_ snapshot: AlertMonitor.Snapshot, duration: Duration) {
        evaluations.increment()
        evaluationTimer.recordNanoseconds(
            Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        Gauge(label: "cryptod_system_health_score", dimensions: [("component", "overall")], factory: factory)
            .record(snapshot.health.score)
        for component in snapshot.health.components {
            Gauge(label: "cryptod_system_health_score", dimensions: [("component", component.name)], factory: factory)
                .record(component.score)
        }
        for severity in AlertSeverity.allCases {
            for state in ["pending", "firing"] {
                let count = snapshot.alerts.filter { $0.severity == severity && $0.state.rawValue == state }.count
                Gauge(
                    label: "cryptod_alerts", dimensions: [("severity", severity.rawValue), ("state", state)],
                    factory: factory
                )
                .record(count)
            }
        }
        Gauge(label: "cryptod_alert_rule_errors", factory: factory).record(snapshot.ruleErrors.count)
    }

    func delivered(channel: String, result: String, duration: Duration) {
        Counter(
            label: "cryptod_alert_notifications_total", dimensions: [("channel", channel), ("result", result)],
            factory: factory
        )
        .increment()
        Metrics.Timer(label: "cryptod_alert_notification_seconds", dimensions: [("channel", channel)], factory: factory)
            .recordNanoseconds(
                Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}

extension AlertMonitor {
    /// The current values of the settings ``Recommendations`` may name, as plain text.
    package static func recommendationSettings(_ configuration: Configuration) -> [String: String] {
        var paths = [
            "writer.flush_max_rows", "writer.spool_limit", "gateway.ws_client_queue", "gateway.ws_replay_buffer",
            "gateway.ws_replay_memory",
            "delivery.memory_limit", "performance.mode",
        ]
        paths += ConfigSchema.keys.filter { $0.name == "rate_limit_share" }.map(\.path)
        var out: [String: String] = [:]
        for path in paths {
            switch configuration.values[path] {
            case .integer(let value), .size(let value): out[path] = String(value)
            case .float(let value): out[path] = "\(value)"
            case .string(let value): out[path] = value
            default: continue
            }
        }
        return out
    }
}
