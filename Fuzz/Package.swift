// swift-tools-version:6.2
//
// libFuzzer target for the wire protocol. Its own package so that the sanitizer flags never touch the main
// build. CryptodModel and CryptodWire are the real sources, through the symlinks in Sources/ (SwiftPM does not
// accept target paths outside the package root). Build and run it with scripts/fuzz.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "WireFuzz",
    products: [
        .executable(name: "WireFuzz", targets: ["WireFuzz"]),
        .executable(name: "ExchangeFuzz", targets: ["ExchangeFuzz"]),
    ],
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
        .target(
            name: "CryptodExchanges", dependencies: ["CryptodModel"], path: "Sources/CryptodExchanges",
            swiftSettings: strict),
        // The process entry point; see Sources/CFuzzEntry/entry.c for why it is in C.
        .target(name: "CFuzzEntry"),
        .executableTarget(
            name: "WireFuzz",
            dependencies: [
                "CryptodWire", "CryptodModel", "CFuzzEntry", .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The exchange parsers against the reference parser (Sources/ExchangeFuzz/Reference links to the
        // test suite's reference parser).
        .executableTarget(
            name: "ExchangeFuzz", dependencies: ["CryptodExchanges", "CryptodModel", "CFuzzEntry"],
            swiftSettings: strict
        ),
    ]
)
