import ArgumentParser
import CryptodWire
import Foundation

/// `cryptoctl subscribe EXCHANGE SYMBOL [CHANNEL…]`.
struct SubscribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe",
        abstract: "Start a market's streams on a running ingestor, without touching any other market.",
        discussion: """
            SYMBOL is the exchange's spelling (BTCUSDT, BTC_USDT) or the unified one (BTC/USDT). CHANNEL is \
            ticker, trades, book or candles:<interval> (candles:1m); none means ticker, trades, book and the \
            configured candle intervals. The change is kept across restarts of the ingestor (in \
            <state_dir>/subscriptions/<exchange>.json) until unsubscribed. Exit 5 when the market or a \
            channel is unknown.

            \(CtlExitCode.helpText)
            """)

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The exchange: binance, bybit or whitebit.") var exchange: String
    @Argument(help: "The market's symbol.") var symbol: String
    @Argument(help: "Channels (default: all).") var channels: [String] = []
    @Option(help: "Market type where an exchange has several (Bybit: spot or linear).") var market = "spot"

    func run() async throws {
        let argument = IngestorArgument.subscription(symbol: symbol, market: market, channels: channels)
        try options.report(try await options.send(.subscribe, target: "ingestor-\(exchange)", argument: argument))
    }
}

/// `cryptoctl unsubscribe EXCHANGE SYMBOL [CHANNEL…]`.
struct UnsubscribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unsubscribe",
        abstract: "Stop a market's streams on a running ingestor; the other markets on its connections go on.",
        discussion: """
            Arguments as for subscribe; no CHANNEL stops every stream of the market. Kept across restarts.

            \(CtlExitCode.helpText)
            """)

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The exchange: binance, bybit or whitebit.") var exchange: String
    @Argument(help: "The market's symbol.") var symbol: String
    @Argument(help: "Channels (default: all).") var channels: [String] = []
    @Option(help: "Market type where an exchange has several (Bybit: spot or linear).") var market = "spot"

    func run() async throws {
        let argument = IngestorArgument.subscription(symbol: symbol, market: market, channels: channels)
        try options.report(try await options.send(.unsubscribe, target: "ingestor-\(exchange)", argument: argument))
    }
}

/// `cryptoctl subscriptions EXCHANGE`.
struct SubscriptionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscriptions",
        abstract: "List the streams an ingestor is subscribed to, one per line (exchange:market:symbol/channel).",
        discussion: CtlExitCode.helpText)

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The exchange: binance, bybit or whitebit.") var exchange: String

    func run() async throws {
        try options.report(try await options.send(.subscriptions, target: "ingestor-\(exchange)"))
    }
}

/// `cryptoctl verify-key EXCHANGE KEY`: the secret is read from standard input, never from the command line.
struct VerifyKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-key",
        abstract: "Check an API key against the exchange with one signed request (valid, and its permissions).",
        discussion: """
            The secret is read from standard input (one line), so it never appears in the shell history or the \
            process list; it is used for one request and neither stored nor logged. The answer is JSON: \
            {"outcome":"valid|invalid_key|invalid_signature|clock_skew|ip_not_allowed|rate_limited|unknown",\
            "valid":bool,"permissions":[…],"detail":"…"}.

            \(CtlExitCode.helpText)
            """)

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The exchange: binance, bybit or whitebit.") var exchange: String
    @Argument(help: "The API key.") var key: String

    func run() async throws {
        guard let secret = readLine(strippingNewline: true), !secret.isEmpty else {
            throw ValidationError(
                "give the API secret on standard input, e.g. printf '%s\\n' \"$SECRET\" | cryptoctl verify-key …")
        }
        let argument = IngestorArgument.json(["key": key, "secret": secret])
        try options.report(try await options.send(.verifyKey, target: "ingestor-\(exchange)", argument: argument))
    }
}

/// The JSON arguments of the ingestor commands (docs/protocol.md).
enum IngestorArgument {
    static func subscription(symbol: String, market: String, channels: [String]) -> String {
        json(["symbol": symbol, "market": market, "channels": channels])
    }

    static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
