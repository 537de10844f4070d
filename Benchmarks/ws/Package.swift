// swift-tools-version:6.2
//
// WebSocket fan-out of the gateway to many clients, printed beside a bare NIO WebSocket server doing the
// same fan-out in the same run. Its own package so the main build stays lean; the cryptod modules are the
// real sources, through the symlinks in Sources/. Run it with scripts/bench-ws. It prints rates; it is
// never a test.
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny"), .treatAllWarnings(as: .error)]

let package = Package(
    name: "WSBench",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "WSBench", targets: ["WSBench"])],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
    ],
    targets: [
        .target(name: "CryptodModel", path: "Sources/CryptodModel", swiftSettings: strict),
        .target(name: "CSystemShims", path: "Sources/CSystemShims"),
        .target(
            name: "CryptodWire", dependencies: ["CryptodModel", .product(name: "NIOCore", package: "swift-nio")],
            path: "Sources/CryptodWire", swiftSettings: strict),
        .target(
            name: "CryptodConfig", dependencies: ["CryptodModel"], path: "Sources/CryptodConfig",
            swiftSettings: strict),
        .target(
            name: "CryptodFormats", dependencies: ["CryptodModel"], path: "Sources/CryptodFormats",
            swiftSettings: strict),
        .target(
            name: "CryptodExchanges", dependencies: ["CryptodModel"], path: "Sources/CryptodExchanges",
            swiftSettings: strict),
        .target(
            name: "CryptodOps", dependencies: ["CryptodModel"], path: "Sources/CryptodOps", swiftSettings: strict),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq"),
        .systemLibrary(name: "CHiredis", path: "Sources/CHiredis", pkgConfig: "hiredis"),
        .systemLibrary(name: "CRabbitMQ", path: "Sources/CRabbitMQ", pkgConfig: "librabbitmq"),
        .target(
            name: "CryptodSinks",
            dependencies: [
                "CryptodModel", "CryptodWire", "CryptodFormats", "CLibPQ", "CHiredis", "CRabbitMQ", "CryptodOps",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Sources/CryptodSinks", swiftSettings: strict),
        .target(
            name: "CryptodIPC",
            dependencies: [
                "CryptodWire", "CryptodModel", "CSystemShims",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Sources/CryptodIPC", swiftSettings: strict),
        .target(
            name: "CryptodRuntime",
            dependencies: [
                "CryptodIPC", "CryptodConfig", "CryptodWire", "CryptodModel", "CryptodOps", "CSystemShims",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/CryptodRuntime", swiftSettings: strict),
        .target(
            name: "CryptodGateway",
            dependencies: [
                "CryptodRuntime", "CryptodIPC", "CryptodConfig", "CryptodWire", "CryptodModel", "CryptodFormats",
                "CryptodExchanges", "CryptodSinks", "CryptodOps",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/CryptodGateway", resources: [.copy("Resources/docs-ui"), .copy("Resources/dashboard")],
            swiftSettings: strict),
        .executableTarget(
            name: "WSBench",
            dependencies: [
                "CryptodGateway", "CryptodRuntime", "CryptodIPC", "CryptodWire", "CryptodModel", "CryptodConfig",
                "CryptodFormats",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strict),
    ]
)
