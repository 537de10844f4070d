import CryptodConfig
import CryptodExchanges
import CryptodIPC
import CryptodModel
import CryptodWire
import Foundation
import Hummingbird

/// `POST /api/v1/stream/process`: a message pushed through an exchange's ingestor, marked injected, for
/// testing consumers. Relayed as the control command `inject` (docs/protocol.md); the ingestor parses and
/// publishes it, and its refusal (a book event, a frame without market data, a bad field) is a 400.
extension RESTAPI {
    static let processExample =
        #"{"exchange":"binance","format":"normalized","event":{"type":"ticker","exchange":"binance","#
        + #""market":"spot","symbol":"BTCUSDT","last":"64000.10"}} or {"exchange":"binance","format":"native","#
        + #""message":"{\"e\":\"trade\",\"s\":\"BTCUSDT\",…}"}"#

    func process(_ inputs: RouteInputs, who: String) async throws -> Response {
        let buffer = try await inputs.request.body.collect(upTo: policy.values.maxBody)
        let body = String(decoding: buffer.readableBytesView, as: UTF8.self)
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any]
        else {
            throw GatewayHTTPError(
                .badRequest, .badBody, "the body must be one JSON object, e.g. \(Self.processExample)")
        }
        guard let name = object["exchange"] as? String, !name.isEmpty else {
            throw GatewayHTTPError(
                .badRequest, .badBody,
                "the body needs \"exchange\": the ingestor to inject into (\(Self.supportedNames)), e.g. \(Self.processExample)"
            )
        }
        guard let exchange = ExchangeID(name), ExchangeRegistry.supported.contains(exchange) else {
            throw GatewayHTTPError(
                .badRequest, .badBody, "\"exchange\" \"\(name.prefix(40))\" is not one of \(Self.supportedNames)")
        }
        if let format = object["format"] {
            guard let format = format as? String, ["native", "normalized"].contains(format) else {
                throw GatewayHTTPError(.badRequest, .badBody, "\"format\" must be \"native\" or \"normalized\"")
            }
        }
        guard object["message"] != nil || object["event"] != nil else {
            throw GatewayHTTPError(
                .badRequest, .badBody,
                "the body needs \"message\" (format native) or \"event\" (format normalized), e.g. \(Self.processExample)"
            )
        }
        let configuration = configuration()
        let ingestor = ProcessName.ingestor(exchange)
        guard configuration.exchange(exchange)?.enabled == true else {
            throw GatewayHTTPError(
                .conflict, .exchangeDisabled,
                "\(ingestor) does not run: exchanges.\(exchange).enabled is false; enable it and reload")
        }
        // The body goes on as it came: re-encoding it here could change the digits of a decimal.
        let reply = try await controlReply(
            .inject, to: ingestor, argument: body, configuration: configuration, unavailable: .ingestorUnavailable)
        logger.notice(
            "admin action: inject",
            metadata: [
                "by": "\(who)", "exchange": "\(exchange)", "format": "\(object["format"] as? String ?? "")",
                "result": "\(reply.result)",
            ])
        switch reply.result {
        case .ok:
            // The ingestor's answer is already the JSON object this route documents.
            return JSONBody.response(.ok, bytes: Array(reply.message.utf8))
        case .invalidRequest: throw GatewayHTTPError(.badRequest, .rejected, reply.message)
        case .unknownTarget: throw GatewayHTTPError(.badGateway, .ingestorUnavailable, "\(ingestor): \(reply.message)")
        case .failed, .busy, .invalidConfig:
            throw GatewayHTTPError(.badGateway, .ingestorUnavailable, "\(ingestor): \(reply.message)")
        }
    }
}
