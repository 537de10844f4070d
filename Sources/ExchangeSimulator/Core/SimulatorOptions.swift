/// One API key known to the simulator (private endpoints check signatures with `secret`).
package struct APIKeyEntry: Sendable, Hashable {
    package var name: String
    package var key: String
    package var secret: String

    package init(name: String, key: String, secret: String) {
        self.name = name
        self.key = key
        self.secret = secret
    }

    /// The documented default test key (64 characters, like Binance keys).
    package static let defaultTestKey = APIKeyEntry(
        name: "test", key: "ExchsimTestApiKey00000000000000000000000000000000000000000000001",
        secret: "ExchsimTestSecret00000000000000000000000000000000000000000000001")
}

/// Everything the simulator is configured with (flags map 1:1 onto these fields).
package struct SimulatorOptions: Sendable {
    /// Address every listener binds (loopback only unless changed).
    package var host = "127.0.0.1"
    /// Port per venue id; 0 picks an ephemeral port; missing → the venue's default.
    package var ports: [String: Int] = [:]
    /// Venues to run (nil: all registered).
    package var venues: [String]?
    package var seed: UInt64 = 42
    package var markets: [MarketSpec] = MarketCatalog.builtIn
    /// Simulated start time (ms since epoch); nil: the wall clock.
    package var startTime: Int64?
    /// Simulated ms per real ms; 0 pins the clock.
    package var timeScale: Double = 1
    package var engine = EngineConfig()
    /// Serve https/wss instead of http/ws.
    package var tls = false
    /// PEM certificate and key to serve; when absent a self-signed pair is generated.
    package var tlsCertificatePath: String?
    package var tlsKeyPath: String?
    /// Where to write the generated certificate (PEM) so clients can trust it.
    package var tlsCertificateOut: String?
    package var apiKeys: [APIKeyEntry] = [.defaultTestKey]
    /// Rate-limit overrides, e.g. `binance.weight_per_minute` → 6000 (see docs/exchsim.md).
    package var limits: [String: Int64] = [:]
    /// Faults installed at start per venue id ("*" for every venue).
    package var faults: [String: [FaultRule]] = [:]
    /// Target aggregate stream messages/s (0: off).
    package var loadRate: Double = 0
    /// Load by stream kind per venue id (`--load`), on top of `loadRate`.
    package var loadMix: [String: LoadMix] = [:]
    /// Broadcaster tick, real ms.
    package var tickMs: Int64 = 5
    /// Event-loop threads.
    package var threads = 1

    package init() {}

    /// A configured limit, or the venue's real default.
    package func limit(_ name: String, default value: Int64) -> Int64 {
        self.limits[name] ?? value
    }

    /// The port a venue listens on.
    package func port(for descriptor: VenueDescriptor) -> Int {
        self.ports[descriptor.id] ?? descriptor.defaultPort
    }
}
