import CryptodConfig
import CryptodFormats
import CryptodIPC
import CryptodModel
import CryptodWire
import Foundation
import Hummingbird

/// Runtime subscriptions and key checks: relayed to the ingestor's socket as the control commands
/// `subscribe`, `unsubscribe`, `subscriptions` and `verifyKey` (as cryptod relays `cryptoctl`'s; see
/// docs/protocol.md), with the same `LinkClient` request.
extension RESTAPI {
    /// How long an ingestor may take (a key check waits for the exchange).
    static let controlTimeout: Duration = .seconds(30)

    func subscribe(_ inputs: RouteInputs) async throws -> Response {
        let exchange = try exchange(inputs)
        let object = try await jsonBody(inputs)
        guard let symbol = object["symbol"] as? String, !symbol.isEmpty, symbol.utf8.count <= 64 else {
            throw GatewayHTTPError(
                .badRequest, .badBody, #"the body needs "symbol": the market, e.g. {"symbol":"BTCUSDT"} or "BTC/USDT""#)
        }
        let market = object["market"] as? String ?? exchange.defaultMarket.description
        guard object["market"] == nil || object["market"] is String else {
            throw GatewayHTTPError(.badRequest, .badBody, "\"market\" must be a string: spot or linear")
        }
        guard object["channels"] == nil || object["channels"] is [String] else {
            throw GatewayHTTPError(
                .badRequest, .badBody, #""channels" must be a list of strings, e.g. ["ticker","trades","candles:1m"]"#)
        }
        let channels = (object["channels"] as? [String] ?? []).sorted()
        let argument = Self.json(["symbol": symbol, "market": market, "channels": channels])
        let reply = try await control(.subscribe, exchange.id, argument: argument)
        return subscriptionAnswer(.created, exchange.id, argument: argument, reply: reply)
    }

    func unsubscribe(_ inputs: RouteInputs) async throws -> Response {
        let exchange = try exchange(inputs)
        let id = inputs.text("sub_id") ?? ""
        guard let argument = Self.unhex(id),
            let object = (try? JSONSerialization.jsonObject(with: Data(argument.utf8))) as? [String: Any],
            object["symbol"] is String
        else {
            throw GatewayHTTPError(
                .badRequest, .badSubscription,
                "\"\(id.prefix(80))\" is not a subscription id; use the sub_id that POST "
                    + "/api/v1/exchanges/\(exchange.id)/subscribe returned")
        }
        let reply = try await control(.unsubscribe, exchange.id, argument: argument)
        return subscriptionAnswer(.ok, exchange.id, argument: argument, reply: reply)
    }

    func subscriptions(_ inputs: RouteInputs) async throws -> Response {
        let exchange = try exchange(inputs)
        let reply = try await control(.subscriptions, exchange.id, argument: "")
        return JSONBody.object { json in
            json.field("exchange", exchange.id.rawValue)
            json.key("streams")
            json.array { json in
                for line in reply.message.split(separator: "\n") where !line.isEmpty { json.value(String(line)) }
            }
        }
    }

    func verifyKey(_ inputs: RouteInputs) async throws -> Response {
        let exchange = try exchange(inputs)
        let object = try await jsonBody(inputs)
        guard let key = object["key"] as? String, !key.isEmpty, let secret = object["secret"] as? String,
            !secret.isEmpty
        else {
            throw GatewayHTTPError(
                .badRequest, .badBody,
                #"the body needs "key" and "secret" (non-empty strings): {"key":"…","secret":"…"}"#)
        }
        // The secret travels to the ingestor only; ControlRequest redacts it from every description.
        let reply = try await control(.verifyKey, exchange.id, argument: Self.json(["key": key, "secret": secret]))
        guard let answer = (try? JSONSerialization.jsonObject(with: Data(reply.message.utf8))) as? [String: Any],
            let outcome = answer["outcome"] as? String
        else {
            throw GatewayHTTPError(
                .badGateway, .ingestorUnavailable, "ingestor-\(exchange.id) answered the key check without a verdict")
        }
        return JSONBody.object { json in
            json.field("outcome", outcome)
            json.field("valid", answer["valid"] as? Bool ?? false)
            json.key("permissions")
            json.array { json in for permission in answer["permissions"] as? [String] ?? [] { json.value(permission) } }
            json.field("detail", answer["detail"] as? String ?? "")
        }
    }

    // MARK: - Pieces

    private func subscriptionAnswer(
        _ status: HTTPResponse.Status, _ exchange: ExchangeID, argument: String, reply: ControlReply
    ) -> Response {
        let object = (try? JSONSerialization.jsonObject(with: Data(argument.utf8))) as? [String: Any] ?? [:]
        return JSONBody.object(status) { json in
            json.field("sub_id", Self.hex(argument))
            json.field("exchange", exchange.rawValue)
            json.field("market", object["market"] as? String ?? "spot")
            json.field("symbol", object["symbol"] as? String ?? "")
            json.key("channels")
            json.array { json in for channel in object["channels"] as? [String] ?? [] { json.value(channel) } }
            json.field("message", reply.message)
        }
    }

    /// The request body as a JSON object (at most `gateway.max_body` bytes).
    private func jsonBody(_ inputs: RouteInputs) async throws -> [String: Any] {
        let buffer = try await inputs.request.body.collect(upTo: policy.values.maxBody)
        let bytes = Data(buffer.readableBytesView)
        guard let object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else {
            throw GatewayHTTPError(
                .badRequest, .badBody, "the body must be one JSON object (Content-Type: application/json)")
        }
        return object
    }

    /// Sends a control command to the exchange's ingestor and maps its refusal to an HTTP error.
    private func control(
        _ command: ControlCommand, _ exchange: ExchangeID, argument: String
    ) async throws
        -> ControlReply
    {
        let configuration = configuration()
        let name = ProcessName.ingestor(exchange)
        guard configuration.exchange(exchange)?.enabled == true else {
            throw GatewayHTTPError(
                .conflict, .exchangeDisabled,
                "\(name) does not run: exchanges.\(exchange).enabled is false; enable it and reload")
        }
        let reply = try await controlReply(
            command, to: name, argument: argument, configuration: configuration, unavailable: .ingestorUnavailable)
        switch reply.result {
        case .ok: return reply
        case .invalidRequest: throw GatewayHTTPError(.badRequest, .rejected, reply.message)
        case .unknownTarget: throw GatewayHTTPError(.notFound, .unknownExchange, reply.message)
        case .failed, .busy, .invalidConfig:
            throw GatewayHTTPError(.badGateway, .ingestorUnavailable, "\(name): \(reply.message)")
        }
    }

    /// One control request to a process's own socket (as cryptod relays `cryptoctl`'s); a process that does
    /// not answer, or answers something else, is a 502 with `unavailable` as its code.
    func controlReply(
        _ command: ControlCommand, to name: ProcessName, argument: String, configuration: Configuration,
        unavailable: GatewayHTTPError.Code
    ) async throws -> ControlReply {
        let path = Topology.socketPath(for: name, runtimeDirectory: configuration.daemon.runtimeDirectory)
        let request = ControlRequest(
            requestID: UInt32.random(in: 1...UInt32.max), command: command, target: name.description,
            argument: argument)
        let answer: Message
        do {
            answer = try await LinkClient.request(
                .controlRequest(request), path: path, identity: survey.identity, timeout: Self.controlTimeout,
                logger: logger)
        } catch {
            throw GatewayHTTPError(
                .badGateway, unavailable, "\(name) did not answer on \(path): \(error); is it running? (GET /health)")
        }
        guard case .controlReply(let reply) = answer else {
            throw GatewayHTTPError(
                .badGateway, unavailable, "\(name) answered \(answer.type) instead of a control reply")
        }
        return reply
    }

    static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Subscription ids are the ingestor argument itself, hex-encoded: the gateway keeps no table of them,
    /// so an id stays valid across gateway restarts.
    static func hex(_ text: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count.isMultiple(of: 2), bytes.count <= 2048 else { return nil }
        func value(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 48...57: byte - 48
            case 97...102: byte - 87
            default: nil
            }
        }
        var out: [UInt8] = []
        for index in stride(from: 0, to: bytes.count, by: 2) {
            guard let high = value(bytes[index]), let low = value(bytes[index + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return String(validating: out, as: UTF8.self)
    }
}
