import Synchronization

/// Bybit's limits, on the simulated clock.
///
/// * IP: 600 requests per 5-second window (fixed windows aligned on the clock) for every REST path;
///   the request over the limit and everything after it for 10 minutes get HTTP 403 (bybit.md §3).
/// * UID: per endpoint, a rolling one-second window (`query-api` 10/s, `wallet-balance` 50/s);
///   over it, `retCode 10006` with the `X-Bapi-Limit*` headers.
/// * WebSocket: 500 connection attempts per 5 minutes per IP.
final class BybitRateLimiter: Sendable {
    /// Limits from `--limit bybit.*`, defaulting to the documented values.
    struct Limits: Sendable {
        var ipRequestsPer5s: Int64
        var ipBlockMs: Int64
        var queryAPIPerSecond: Int64
        var walletBalancePerSecond: Int64
        var connectionsPer5m: Int64

        init(options: SimulatorOptions) {
            self.ipRequestsPer5s = options.limit("bybit.ip_requests_per_5s", default: 600)
            self.ipBlockMs = options.limit("bybit.ip_block_ms", default: 600_000)
            self.queryAPIPerSecond = options.limit("bybit.query_api_per_second", default: 10)
            self.walletBalancePerSecond = options.limit("bybit.wallet_balance_per_second", default: 50)
            self.connectionsPer5m = options.limit("bybit.ws_connections_per_5m", default: 500)
        }
    }

    /// The outcome of a per-UID check, with the values of the three headers.
    struct UIDDecision: Sendable, Equatable {
        var allowed: Bool
        var limit: Int64
        var remaining: Int64
        var resetAt: Int64

        var headers: [(String, String)] {
            [
                ("X-Bapi-Limit", String(self.limit)), ("X-Bapi-Limit-Status", String(self.remaining)),
                ("X-Bapi-Limit-Reset-Timestamp", String(self.resetAt)),
            ]
        }
    }

    private struct Client {
        var window: Int64 = .min
        var requests: Int64 = 0
        var blockedUntil: Int64?
        var responses403: Int64 = 0
        var connectionWindow: Int64 = .min
        var connections: Int64 = 0
    }

    private struct State {
        var clients: [String: Client] = [:]
        /// Accepted request times per "uid endpoint", oldest first (rolling one-second windows).
        var uid: [String: [Int64]] = [:]
        var responses10006: [String: Int64] = [:]
    }

    let limits: Limits
    private let state = Mutex(State())

    init(limits: Limits) {
        self.limits = limits
    }

    /// Books one REST request; false when the IP is (or now becomes) blocked.
    func admit(ip: String, now: Int64) -> Bool {
        self.state.withLock { state in
            var client = state.clients[ip] ?? Client()
            defer { state.clients[ip] = client }
            if let until = client.blockedUntil {
                if now < until {
                    client.responses403 += 1
                    return false
                }
                client.blockedUntil = nil
            }
            let window = DetMath.floorDiv(now, 5_000)
            if client.window != window {
                client.window = window
                client.requests = 0
            }
            guard client.requests < self.limits.ipRequestsPer5s else {
                client.blockedUntil = now + self.limits.ipBlockMs
                client.responses403 += 1
                return false
            }
            client.requests += 1
            return true
        }
    }

    /// Books one call of `endpoint` for `uid` against `limit` per rolling second.
    func admit(uid: Int64, endpoint: String, limit: Int64, now: Int64) -> UIDDecision {
        self.state.withLock { state in
            let bucket = "\(uid) \(endpoint)"
            var times = state.uid[bucket, default: []]
            times.removeAll { $0 <= now - 1_000 }
            defer { state.uid[bucket] = times }
            guard Int64(times.count) < limit else {
                state.responses10006[String(uid), default: 0] += 1
                return UIDDecision(allowed: false, limit: limit, remaining: 0, resetAt: (times.first ?? now) + 1_000)
            }
            times.append(now)
            return UIDDecision(allowed: true, limit: limit, remaining: limit - Int64(times.count), resetAt: now)
        }
    }

    /// Books a WebSocket connection attempt; false when over the limit.
    func admitConnection(ip: String, now: Int64) -> Bool {
        self.state.withLock { state in
            var client = state.clients[ip] ?? Client()
            defer { state.clients[ip] = client }
            let window = DetMath.floorDiv(now, 300_000)
            if client.connectionWindow != window {
                client.connectionWindow = window
                client.connections = 0
            }
            client.connections += 1
            return client.connections <= self.limits.connectionsPer5m
        }
    }

    func reset() {
        self.state.withLock { $0 = State() }
    }

    /// `GET /_sim/limits`.
    func state(now: Int64) -> JSONValue {
        self.state.withLock { state in
            let clients: [JSONValue] = state.clients.keys.sorted().map { ip in
                let client = state.clients[ip]!
                let current = client.window == DetMath.floorDiv(now, 5_000) ? client.requests : 0
                let connections = client.connectionWindow == DetMath.floorDiv(now, 300_000) ? client.connections : 0
                return .object([
                    ("ip", .string(ip)), ("requests5s", .int(current)),
                    ("blockedUntil", client.blockedUntil.map { $0 > now ? .int($0) : .null } ?? .null),
                    ("responses403", .int(client.responses403)), ("wsConnections5m", .int(connections)),
                ])
            }
            let uids: [JSONValue] = state.uid.keys.sorted().map { bucket in
                let parts = bucket.split(separator: " ", maxSplits: 1).map(String.init)
                let used = state.uid[bucket]!.filter { $0 > now - 1_000 }.count
                return .object([
                    ("uid", .string(parts[0])), ("endpoint", .string(parts.count > 1 ? parts[1] : "")),
                    ("used1s", .int(used)), ("responses10006", .int(state.responses10006[parts[0]] ?? 0)),
                ])
            }
            return .object([
                ("venue", .string("bybit")), ("now", .int(now)),
                (
                    "limits",
                    .object([
                        ("ipRequestsPer5s", .int(self.limits.ipRequestsPer5s)),
                        ("ipBlockMs", .int(self.limits.ipBlockMs)),
                        ("queryApiPerSecond", .int(self.limits.queryAPIPerSecond)),
                        ("walletBalancePerSecond", .int(self.limits.walletBalancePerSecond)),
                        ("wsConnectionsPer5m", .int(self.limits.connectionsPer5m)),
                    ])
                ),
                ("clients", .array(clients)),
                ("uids", .array(uids)),
            ])
        }
    }
}
