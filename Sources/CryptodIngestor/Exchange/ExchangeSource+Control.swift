import CryptodExchanges
import CryptodIPC
import CryptodModel
import CryptodWire
import Foundation

/// Operator commands for one exchange, relayed by cryptod from `cryptoctl` (or the gateway).
///
/// Arguments are JSON (docs/protocol.md): subscribe/unsubscribe `{"market":"spot","symbol":"BTCUSDT",
/// "channels":["ticker","trades","candles:1m","book"]}`, verifyKey `{"key":"…","secret":"…"}`. Secrets are
/// used for one signed request and never logged, stored or echoed.
extension ExchangeSource {
    package func control(_ request: ControlRequest) async -> ControlReply? {
        func reply(_ result: ControlReply.Result, _ message: String) -> ControlReply {
            ControlReply(
                requestID: request.requestID, result: result, message: message,
                serverTime: Timestamp(nanoseconds: WallClock.nowNanoseconds()))
        }
        switch request.command {
        case .subscribe, .unsubscribe:
            let parsed: [StreamSubscription]
            switch subscriptions(fromArgument: request.argument) {
            case .success(let list): parsed = list
            case .failure(let problem): return reply(.invalidRequest, problem.message)
            }
            do {
                if request.command == .subscribe {
                    if let unknown = parsed.first(where: { instrumentsLoaded && instrument($0.market) == nil }) {
                        return reply(
                            .invalidRequest,
                            "\(unknown.market.symbol) is not listed by \(api.exchange) as a \(unknown.market.type) market"
                        )
                    }
                    subscribe(parsed)
                    try changes?.added(parsed)
                } else {
                    unsubscribe(parsed)
                    try changes?.removed(parsed)
                }
            } catch {
                return reply(.failed, "applied, but not saved for the next start: \(error)")
            }
            let verb = request.command == .subscribe ? "subscribed" : "unsubscribed"
            return reply(.ok, "\(verb) \(parsed.map(\.description).joined(separator: ", "))")
        case .subscriptions:
            return reply(.ok, currentSubscriptions.map(\.description).joined(separator: "\n"))
        case .verifyKey:
            return reply(.ok, await verifyKey(argument: request.argument))
        case .inject:
            let (result, message) = inject(argument: request.argument)
            return reply(result, message)
        case .status, .reload, .checkConfig, .start, .stop, .restart, .backfill, .jobs, .capacity, .coverage,
            .cancelJob, .stream:
            return nil
        }
    }

    private var instrumentsLoaded: Bool { !currentInstrumentsEmpty }

    private struct Problem: Error { let message: String }

    private func subscriptions(fromArgument argument: String) -> Result<[StreamSubscription], Problem> {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(argument.utf8))) as? [String: Any] else {
            return .failure(
                Problem(message: #"the argument must be a JSON object like {"symbol":"BTCUSDT","channels":["trades"]}"#)
            )
        }
        guard let symbol = object["symbol"] as? String, !symbol.isEmpty else {
            return .failure(
                Problem(message: "\"symbol\" is missing: name the market, e.g. \"BTCUSDT\" or \"BTC/USDT\""))
        }
        let typeName = object["market"] as? String ?? "spot"
        guard let type = MarketType(name: typeName), api.marketTypes.contains(type) else {
            return .failure(
                Problem(
                    message:
                        "\"market\" \(typeName) is not served by \(api.exchange); accepted: \(api.marketTypes.map(\.description).joined(separator: ", "))"
                ))
        }
        let market = self.market(symbol: symbol, type: type)
        let names = object["channels"] as? [String] ?? []
        var channels: [StreamChannel] = []
        if names.isEmpty {
            channels = [.ticker, .trades, .book] + configuredCandleIntervals.map { .candles($0) }
        } else {
            for name in names {
                guard let channel = StreamChannel(name: name) else {
                    return .failure(
                        Problem(
                            message:
                                "unknown channel \(name); accepted: ticker, trades, book, candles:<interval> (e.g. candles:1m)"
                        ))
                }
                channels.append(channel)
            }
        }
        let depth = api.streamBookDepth(forConfigured: configuredBookDepth)
        return .success(
            channels.map { StreamSubscription(market: market, channel: $0, depth: $0 == .book ? depth : 0) })
    }

    /// Signs one request with the key and reports what the exchange said; the secret goes nowhere else.
    private func verifyKey(argument: String) async -> String {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(argument.utf8))) as? [String: Any],
            let key = object["key"] as? String, !key.isEmpty, let secret = object["secret"] as? String, !secret.isEmpty
        else {
            return Self.json(KeyVerification(outcome: .unknown, detail: "the argument needs \"key\" and \"secret\""))
        }
        let now = await rest.governor.exchangeNow
        let request = api.verifyKeyRequest(
            credentials: APICredentials(key: key, secret: secret), now: now, sign: Signing.signer)
        do {
            let response = try await rest.send(request, priority: .verification, acceptingClientErrors: true)
            return Self.json(api.parseKeyVerification(status: response.status, body: response.body))
        } catch let error as RESTError where error.kind == .rateLimited {
            return Self.json(
                KeyVerification(
                    outcome: .rateLimited, detail: "the exchange is rate limiting this IP; try again in a minute"))
        } catch {
            return Self.json(KeyVerification(outcome: .unknown, detail: "the exchange could not be asked: \(error)"))
        }
    }

    static func json(_ verification: KeyVerification) -> String {
        let object: [String: Any] = [
            "outcome": verification.outcome.rawValue, "valid": verification.outcome == .valid,
            "permissions": verification.permissions, "detail": verification.detail,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
