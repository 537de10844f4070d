// swift-tools-version:6.2
//
// Parse throughput of the exchange adapters' stream parsers beside Foundation's JSONSerialization on the same
// bytes. Its own package so the main build stays lean; CryptodModel and CryptodExchanges are the real
// sources, through the symlinks in Sources/. Build and run in release:
//   swift run -c release ExchangesBench [iterations]
// It prints rates; it is never a test.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "ExchangesBench",
    products: [.executable(name: "ExchangesBench", targets: ["ExchangesBench"])],
    targets: [
        .target(name: "CryptodModel", path: "Sources/CryptodModel", swiftSettings: strict),
        .target(
            name: "CryptodExchanges",
            dependencies: ["CryptodModel"],
            path: "Sources/CryptodExchanges",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ExchangesBench",
            dependencies: ["CryptodExchanges", "CryptodModel"],
            swiftSettings: strict
        ),
    ]
)
