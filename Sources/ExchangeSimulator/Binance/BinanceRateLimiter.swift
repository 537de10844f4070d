import Synchronization

/// Binance's per-IP limits: request weight per minute and raw requests per 5 minutes (fixed windows
/// aligned on the simulated clock), 429 when over, and a 418 ban that escalates (2 min doubling up to
/// 3 days by default) for clients that keep sending after a 429. Also WebSocket connection attempts
/// per 5 minutes.
final class BinanceRateLimiter: Sendable {
    /// Limits, from `--limit binance.*` or the real defaults.
    struct Limits: Sendable {
        var weightPerMinute: Int64
        var rawRequestsPer5m: Int64
        /// Requests sent while rate-limited (after a 429, in the same window) that trigger a ban.
        var banAfter429s: Int64
        var banBaseMs: Int64
        var banMaxMs: Int64
        var connectionsPer5m: Int64

        init(options: SimulatorOptions) {
            self.weightPerMinute = options.limit("binance.weight_per_minute", default: 6_000)
            self.rawRequestsPer5m = options.limit("binance.raw_requests_per_5m", default: 61_000)
            self.banAfter429s = options.limit("binance.ban_after_429s", default: 5)
            self.banBaseMs = options.limit("binance.ban_base_ms", default: 120_000)
            self.banMaxMs = options.limit("binance.ban_max_ms", default: 259_200_000)
            self.connectionsPer5m = options.limit("binance.ws_connections_per_5m", default: 300)
        }
    }

    enum Decision: Sendable, Equatable {
        case allowed(used: Int64)
        /// 429: `retryAfter` simulated ms until the window resets.
        case limited(used: Int64, retryAfter: Int64)
        /// 418: banned until `until` (simulated ms).
        case banned(used: Int64, until: Int64)
    }

    private struct Client {
        var minute: Int64 = .min
        var weight: Int64 = 0
        var window5m: Int64 = .min
        var raw: Int64 = 0
        /// Minute in which the client last got a 429, and requests sent after it in that minute.
        var limitedMinute: Int64 = .min
        var ignored429s: Int64 = 0
        var bannedUntil: Int64?
        var bans: Int64 = 0
        var connectionWindow: Int64 = .min
        var connections: Int64 = 0
        var total429: Int64 = 0
        var total418: Int64 = 0
    }

    let limits: Limits
    private let clients = Mutex([String: Client]())

    init(limits: Limits) {
        self.limits = limits
    }

    /// Books a request of `weight` for `ip` at simulated time `now`.
    func admit(ip: String, weight: Int64, now: Int64) -> Decision {
        self.clients.withLock { clients in
            var client = clients[ip] ?? Client()
            defer { clients[ip] = client }
            Self.roll(&client, now: now)
            if let until = client.bannedUntil {
                if now < until {
                    client.total418 += 1
                    return .banned(used: client.weight, until: until)
                }
                client.bannedUntil = nil
            }
            let minute = DetMath.floorDiv(now, 60_000)
            if client.weight + weight > self.limits.weightPerMinute || client.raw + 1 > self.limits.rawRequestsPer5m {
                if client.limitedMinute == minute {
                    client.ignored429s += 1
                } else {
                    client.limitedMinute = minute
                    client.ignored429s = 0
                }
                if client.ignored429s >= self.limits.banAfter429s {
                    let length = min(self.limits.banMaxMs, self.limits.banBaseMs << min(client.bans, 20))
                    client.bans += 1
                    client.ignored429s = 0
                    client.bannedUntil = now + length
                    client.total418 += 1
                    return .banned(used: client.weight, until: now + length)
                }
                client.total429 += 1
                let retry =
                    client.raw + 1 > self.limits.rawRequestsPer5m
                    ? (DetMath.floorDiv(now, 300_000) + 1) * 300_000 - now
                    : (minute + 1) * 60_000 - now
                return .limited(used: client.weight, retryAfter: retry)
            }
            client.weight += weight
            client.raw += 1
            return .allowed(used: client.weight)
        }
    }

    private static func roll(_ client: inout Client, now: Int64) {
        let minute = DetMath.floorDiv(now, 60_000)
        if client.minute != minute {
            client.minute = minute
            client.weight = 0
        }
        let window = DetMath.floorDiv(now, 300_000)
        if client.window5m != window {
            client.window5m = window
            client.raw = 0
        }
    }

    /// Weight used by `ip` in the current minute.
    func usedWeight(ip: String, now: Int64) -> Int64 {
        self.clients.withLock { clients in
            var client = clients[ip] ?? Client()
            Self.roll(&client, now: now)
            return client.weight
        }
    }

    /// Books a WebSocket connection attempt; false when over 300 per 5 minutes.
    func admitConnection(ip: String, now: Int64) -> Bool {
        self.clients.withLock { clients in
            var client = clients[ip] ?? Client()
            defer { clients[ip] = client }
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
        self.clients.withLock { $0.removeAll() }
    }

    func state(now: Int64) -> JSONValue {
        self.clients.withLock { clients in
            let items: [JSONValue] = clients.keys.sorted().map { ip in
                var client = clients[ip]!
                Self.roll(&client, now: now)
                return .object([
                    ("ip", .string(ip)), ("usedWeight1m", .int(client.weight)), ("rawRequests5m", .int(client.raw)),
                    ("bannedUntil", client.bannedUntil.map { $0 > now ? .int($0) : .null } ?? .null),
                    ("bans", .int(client.bans)), ("responses429", .int(client.total429)),
                    ("responses418", .int(client.total418)), ("wsConnections5m", .int(client.connections)),
                ])
            }
            return .object([
                ("venue", .string("binance")), ("now", .int(now)),
                (
                    "limits",
                    .object([
                        ("weightPerMinute", .int(self.limits.weightPerMinute)),
                        ("rawRequestsPer5m", .int(self.limits.rawRequestsPer5m)),
                        ("banAfter429s", .int(self.limits.banAfter429s)), ("banBaseMs", .int(self.limits.banBaseMs)),
                        ("banMaxMs", .int(self.limits.banMaxMs)),
                        ("wsConnectionsPer5m", .int(self.limits.connectionsPer5m)),
                    ])
                ),
                ("clients", .array(items)),
            ])
        }
    }
}
