// swift-tools-version:6.2
//
// cryptod: a market-data daemon. Module layers (lower never imports higher; see docs/architecture.md):
//   0  CryptodModel, CLibCrypto, CSystemShims          domain values and C shims, no I/O
//   1  CryptodWire, CryptodConfig, CryptodFormats      wire protocol (ByteBuffer only), configuration, JSON output
//   2  CryptodIPC                                      Unix-socket links, handshake, reliable delivery
//   3  CryptodRuntime                                  bootstrap shared by every process
//   4  CryptodSupervisor, CryptodIngestor, CryptodScheduler, CryptodWriter, CryptodGateway, CryptodCtl
//   5  thin executables
// ExchangeSimulator is a separate tree on purpose: it shares no parsing code with the adapters, so a bug
// cannot hide on both sides.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "cryptod",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cryptod", targets: ["cryptod"]),
        .executable(name: "cryptod-ingestor", targets: ["cryptod-ingestor"]),
        .executable(name: "cryptod-scheduler", targets: ["cryptod-scheduler"]),
        .executable(name: "cryptod-writer", targets: ["cryptod-writer"]),
        .executable(name: "cryptod-gateway", targets: ["cryptod-gateway"]),
        .executable(name: "cryptoctl", targets: ["cryptoctl"]),
        .executable(name: "exchsim", targets: ["exchsim"]),
        .library(name: "CryptodWire", targets: ["CryptodWire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // MARK: - Layer 0: values and C shims
        .target(name: "CryptodModel", swiftSettings: strict),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "CSystemShims"),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CRabbitMQ", pkgConfig: "librabbitmq", providers: [.apt(["librabbitmq-dev"])]),

        // MARK: - Layer 1: wire protocol and configuration
        .target(
            name: "CryptodWire",
            dependencies: ["CryptodModel", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
        .target(name: "CryptodConfig", dependencies: ["CryptodModel"], swiftSettings: strict),
        // The JSON form of market data that leaves cryptod (WebSocket, RabbitMQ, Redis, files): one encoder,
        // so every sink prints a price exactly as the exchange sent it.
        .target(name: "CryptodFormats", dependencies: ["CryptodModel"], swiftSettings: strict),
        // Exchange adapters: requests, parsers, book synchronisation and rate-limit rules, all without I/O.
        .target(name: "CryptodExchanges", dependencies: ["CryptodModel"], swiftSettings: strict),
        // Operations without I/O: performance modes and throttling, worker scaling, Prometheus text samples,
        // the alert rules (one table generates etc/prometheus/ and is evaluated in-process), health score.
        .target(name: "CryptodOps", dependencies: ["CryptodModel"], swiftSettings: strict),

        // MARK: - Layer 2: links between processes
        .target(
            name: "CryptodIPC",
            dependencies: [
                "CryptodWire", "CryptodModel", "CSystemShims",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),

        // The writer's sinks (PostgreSQL, Redis, RabbitMQ, the pipeline with breaker and spool): the only
        // importer of the C client libraries.
        .target(
            name: "CryptodSinks",
            dependencies: [
                "CryptodModel", "CryptodWire", "CryptodFormats", "CLibPQ", "CHiredis", "CRabbitMQ",
                "CryptodOps",  // worker bounds and the scaler behind the Redis and history-read pools
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),

        // MARK: - Layer 3: process bootstrap
        .target(
            name: "CryptodRuntime",
            dependencies: [
                "CryptodIPC", "CryptodConfig", "CryptodWire", "CryptodModel", "CryptodOps", "CSystemShims",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // MARK: - Layer 4: roles (never import each other)
        .target(
            name: "CryptodSupervisor",
            dependencies: [
                "CryptodRuntime", "CryptodIPC", "CryptodConfig", "CryptodWire", "CSystemShims",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CryptodIngestor",
            dependencies: [
                "CryptodRuntime", "CryptodIPC", "CryptodConfig", "CryptodWire", "CryptodModel", "CryptodExchanges",
                "CryptodOps", "CryptodFormats", "CLibCrypto",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CryptodScheduler",
            dependencies: [
                "CryptodRuntime", "CryptodIPC", "CryptodConfig", "CryptodWire", "CryptodModel", "CryptodSinks",
                "CryptodExchanges", "CryptodOps",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CryptodWriter",
            dependencies: [
                "CryptodRuntime", "CryptodIPC", "CryptodConfig", "CryptodWire", "CryptodModel", "CryptodFormats",
                "CryptodSinks", "CryptodOps",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CryptodGateway",
            dependencies: [
                "CryptodRuntime", "CryptodIPC", "CryptodConfig", "CryptodWire", "CryptodModel", "CryptodFormats",
                // Symbol notation and exchange facts (pure), and the libpq connection for history reads.
                "CryptodExchanges", "CryptodSinks", "CryptodOps",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                // The alert notifier's webhook (HTTP/1.1) and SMTP clients.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Swagger UI and Redoc, vendored with their versions and licences (served by /docs and /redoc),
            // and the web dashboard's own page, script and style sheet (/dashboard).
            resources: [.copy("Resources/docs-ui"), .copy("Resources/dashboard")],
            swiftSettings: strict
        ),
        .target(
            name: "CryptodCtl",
            dependencies: [
                "CryptodIPC", "CryptodWire", "CryptodConfig", "CryptodModel", "CryptodSinks",
                .product(name: "NIOCore", package: "swift-nio"),
                // cryptoctl health/alerts/throttle/top: a small HTTP/1.1 client for the gateway's REST API.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // MARK: - Layer 5: thin executables
        .executableTarget(
            name: "cryptod",
            dependencies: [
                "CryptodSupervisor", "CryptodRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "cryptod-ingestor",
            dependencies: [
                "CryptodIngestor", "CryptodRuntime", "CryptodConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "cryptod-scheduler",
            dependencies: [
                "CryptodScheduler", "CryptodRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "cryptod-writer",
            dependencies: [
                "CryptodWriter", "CryptodRuntime", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "cryptod-gateway",
            dependencies: [
                "CryptodGateway", "CryptodRuntime", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "cryptoctl",
            dependencies: ["CryptodCtl", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),

        // MARK: - The exchange simulator (its own tree; never imports the adapters)
        .target(
            name: "ExchangeSimulator",
            dependencies: [
                "CLibCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "exchsim",
            dependencies: [
                "ExchangeSimulator", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // WSClient beside a raw NIOWebSocket pipeline (Benchmarks/wsclient/run-bench.sh); in this package so
        // it reuses the built dependencies. A benchmark, never a test.
        .executableTarget(
            name: "WSClientBench",
            dependencies: [
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/wsclient/Sources/WSClientBench",
            swiftSettings: strict
        ),

        // MARK: - Tests
        .testTarget(name: "CryptodModelTests", dependencies: ["CryptodModel"], swiftSettings: strict),
        .testTarget(
            name: "CryptodExchangesTests", dependencies: ["CryptodExchanges", "CryptodModel"], swiftSettings: strict),
        .testTarget(
            name: "CryptodWireTests",
            dependencies: [
                "CryptodWire", "CryptodModel", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            resources: [.copy("Golden")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CryptodConfigTests", dependencies: ["CryptodConfig"], resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CryptodIPCTests",
            dependencies: ["CryptodIPC", "CryptodWire", "CryptodModel"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CryptodSupervisorTests",
            dependencies: ["CryptodSupervisor", "CryptodConfig"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CryptodRuntimeTests",
            dependencies: [
                "CryptodRuntime", "CryptodConfig", "CryptodOps", "CryptodWire",
                .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: strict),
        .testTarget(
            name: "ExchangeSimulatorTests",
            dependencies: ["ExchangeSimulator"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CryptodGatewayTests",
            dependencies: [
                "CryptodGateway", "CryptodIPC", "CryptodWire", "CryptodModel", "CryptodConfig", "CryptodRuntime",
                "CryptodSinks", "CryptodOps",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CryptodIngestorTests",
            dependencies: ["CryptodIngestor", "CryptodExchanges", "CryptodModel", "CryptodWire", "CryptodIPC"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CryptodSchedulerTests",
            dependencies: [
                "CryptodScheduler", "CryptodIPC", "CryptodWire", "CryptodModel", "CryptodSinks", "CryptodOps",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "CryptodOpsTests", dependencies: ["CryptodOps", "CryptodModel"], swiftSettings: strict),
        .testTarget(
            name: "CryptodFormatsTests", dependencies: ["CryptodFormats", "CryptodModel"], swiftSettings: strict),
        .testTarget(
            name: "CryptodCtlTests",
            dependencies: ["CryptodCtl", "CryptodWire", "CryptodModel"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CryptodSinksTests",
            dependencies: [
                "CryptodSinks", "CryptodModel", "CryptodWire", "CryptodFormats", "CRabbitMQ", "CHiredis", "CLibPQ",
                "CryptodOps",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CryptodWriterTests",
            dependencies: [
                "CryptodWriter", "CryptodSinks", "CryptodIPC", "CryptodWire", "CryptodModel", "CryptodConfig",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Drives the built executables (cryptod, its children, cryptoctl) as an operator would.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "CryptodIPC", "CryptodWire", "CryptodModel", "CryptodConfig", "CRabbitMQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ]
)
