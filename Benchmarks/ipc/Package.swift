// swift-tools-version:6.2
//
// Throughput of the reliable streams between two processes (the delivery layer every market-data frame
// crosses). Its own package so the main build stays lean; the cryptod modules are the real sources, through
// the symlinks in Sources/. Run it with scripts/bench-ipc. It prints rates; it is never a test.
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny"), .treatAllWarnings(as: .error)]

let package = Package(
    name: "IPCBench",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "IPCBench", targets: ["IPCBench"])],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
    ],
    targets: [
        .target(name: "CryptodModel", path: "Sources/CryptodModel", swiftSettings: strict),
        .target(name: "CSystemShims", path: "Sources/CSystemShims"),
        .target(
            name: "CryptodWire", dependencies: ["CryptodModel", .product(name: "NIOCore", package: "swift-nio")],
            path: "Sources/CryptodWire", swiftSettings: strict),
        .target(
            name: "CryptodIPC",
            dependencies: [
                "CryptodWire", "CryptodModel", "CSystemShims",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Sources/CryptodIPC", swiftSettings: strict),
        .executableTarget(
            name: "IPCBench",
            dependencies: [
                "CryptodIPC", "CryptodWire", "CryptodModel", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict),
    ]
)
