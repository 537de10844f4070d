// swift-tools-version:6.2
//
// Encode/decode throughput of the wire protocol. Its own package so the main build stays lean; CryptodModel
// and CryptodWire are the real sources, through the symlinks in Sources/. Run it with scripts/bench-wire.
// It prints rates; it is never a test.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "WireBench",
    products: [.executable(name: "WireBench", targets: ["WireBench"])],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2")
    ],
    targets: [
        .target(name: "CryptodModel", path: "Sources/CryptodModel", swiftSettings: strict),
        .target(
            name: "CryptodWire",
            dependencies: ["CryptodModel", .product(name: "NIOCore", package: "swift-nio")],
            path: "Sources/CryptodWire",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "WireBench",
            dependencies: ["CryptodWire", "CryptodModel", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
    ]
)
