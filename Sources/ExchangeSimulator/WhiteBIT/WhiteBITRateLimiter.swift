import Synchronization

/// WhiteBIT's request limits: a count per endpoint in fixed 10-second windows, and WebSocket
/// connection attempts per minute, both aligned on the simulated clock. The scope is not documented
/// (whitebit.md §3); exchsim counts per client IP, which is what `/_sim/limits` reports.
final class WhiteBITRateLimiter: Sendable {
    /// The endpoint groups with their own limits.
    enum Group: String, Sendable, CaseIterable {
        case v4Public = "v4_public"
        case orderbook = "orderbook"
        case v1Public = "v1_public"
        case balance = "balance"
    }

    struct Limits: Sendable {
        var perWindow: [Group: Int64]
        var windowMs: Int64
        var connectionsPerMinute: Int64
        var requestsPerConnectionMinute: Int64

        init(options: SimulatorOptions) {
            // Defaults are the documented values (whitebit.md §3, §4.1).
            self.perWindow = [
                .v4Public: options.limit("whitebit.v4_public_per_10s", default: 2_000),
                .orderbook: options.limit("whitebit.orderbook_per_10s", default: 600),
                .v1Public: options.limit("whitebit.v1_public_per_10s", default: 1_000),
                .balance: options.limit("whitebit.balance_per_10s", default: 12_000),
            ]
            self.windowMs = max(1, options.limit("whitebit.window_ms", default: 10_000))
            self.connectionsPerMinute = options.limit("whitebit.ws_connections_per_minute", default: 1_000)
            self.requestsPerConnectionMinute = options.limit("whitebit.ws_requests_per_minute", default: 200)
        }
    }

    private struct Client {
        var window: Int64 = .min
        /// Requests per endpoint in the current window.
        var counts: [String: Int64] = [:]
        var total: Int64 = 0
        var limited: Int64 = 0
        var connectionMinute: Int64 = .min
        var connections: Int64 = 0
        var refusedConnections: Int64 = 0
    }

    let limits: Limits
    private let clients = Mutex([String: Client]())

    init(limits: Limits) {
        self.limits = limits
    }

    /// Books one request to `endpoint` (a path template) of `group`; false when over the limit
    /// (rejected requests are not counted against the window).
    func admit(ip: String, endpoint: String, group: Group, now: Int64) -> Bool {
        self.clients.withLock { clients in
            var client = clients[ip] ?? Client()
            defer { clients[ip] = client }
            let window = DetMath.floorDiv(now, self.limits.windowMs)
            if client.window != window {
                client.window = window
                client.counts.removeAll(keepingCapacity: true)
            }
            client.total += 1
            let used = client.counts[endpoint] ?? 0
            guard used < self.limits.perWindow[group] ?? .max else {
                client.limited += 1
                return false
            }
            client.counts[endpoint] = used + 1
            return true
        }
    }

    /// Books a WebSocket connection attempt; false when over the per-minute limit.
    func admitConnection(ip: String, now: Int64) -> Bool {
        self.clients.withLock { clients in
            var client = clients[ip] ?? Client()
            defer { clients[ip] = client }
            let minute = DetMath.floorDiv(now, 60_000)
            if client.connectionMinute != minute {
                client.connectionMinute = minute
                client.connections = 0
            }
            client.connections += 1
            guard client.connections <= self.limits.connectionsPerMinute else {
                client.refusedConnections += 1
                return false
            }
            return true
        }
    }

    /// Counts a 429 answered outside `admit` (rate_limit_storm fault).
    func recordLimited(ip: String) {
        self.clients.withLock { clients in clients[ip, default: Client()].limited += 1 }
    }

    func reset() {
        self.clients.withLock { $0.removeAll() }
    }

    /// `GET /_sim/limits`: per client IP, requests per endpoint in the current window, totals,
    /// 429 answers and WebSocket connections this minute.
    func state(now: Int64) -> JSONValue {
        self.clients.withLock { clients in
            let window = DetMath.floorDiv(now, self.limits.windowMs)
            let minute = DetMath.floorDiv(now, 60_000)
            let items: [JSONValue] = clients.keys.sorted().map { ip in
                let client = clients[ip]!
                let counts = client.window == window ? client.counts : [:]
                return .object([
                    ("ip", .string(ip)),
                    ("windowRequests", .object(counts.keys.sorted().map { ($0, .int(counts[$0]!)) })),
                    ("totalRequests", .int(client.total)), ("responses429", .int(client.limited)),
                    ("wsConnectionsThisMinute", .int(client.connectionMinute == minute ? client.connections : 0)),
                    ("wsConnectionsRefused", .int(client.refusedConnections)),
                ])
            }
            let perWindow = Group.allCases.map { ($0.rawValue, JSONValue.int(self.limits.perWindow[$0] ?? 0)) }
            return .object([
                ("venue", .string("whitebit")), ("now", .int(now)),
                (
                    "limits",
                    .object(
                        perWindow + [
                            ("windowMs", .int(self.limits.windowMs)),
                            ("wsConnectionsPerMinute", .int(self.limits.connectionsPerMinute)),
                            ("wsRequestsPerConnectionMinute", .int(self.limits.requestsPerConnectionMinute)),
                        ])
                ),
                ("clients", .array(items)),
            ])
        }
    }
}
