import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodWire
import Foundation
import Hummingbird

/// History routes: forwarded to the scheduler as the control commands `backfill`, `jobs`, `capacity` and
/// `coverage` (docs/history.md), whose JSON answers pass through unchanged, so `cryptoctl` and REST show
/// the same thing.
extension RESTAPI {
    /// Most (symbol × timeframe) jobs one bulk request may start.
    static let maxBulkJobs = 200

    /// `POST /api/v1/historical/optimized`: one market, one timeframe, one range.
    func historicalOptimized(_ inputs: RouteInputs) async throws -> Response {
        let object = try await historyBody(inputs)
        let argument = try backfillArgument(object, symbol: object["symbol"], timeframe: object["timeframe"])
        let reply = try await schedulerControl(.backfill, argument: argument)
        return JSONBody.response(.accepted, bytes: Array(reply.message.utf8))
    }

    /// `POST /api/v1/historical/bulk-optimized`: many symbols × timeframes of one exchange over one range.
    func historicalBulk(_ inputs: RouteInputs) async throws -> Response {
        let object = try await historyBody(inputs)
        guard let symbols = object["symbols"] as? [String], !symbols.isEmpty,
            let timeframes = object["timeframes"] as? [String], !timeframes.isEmpty
        else {
            throw GatewayHTTPError(
                .badRequest, .badBody,
                #"the body needs "symbols" and "timeframes" (non-empty lists of strings), e.g. {"exchange":"binance","symbols":["BTCUSDT"],"timeframes":["1m","1h"],"start":"2026-11-01T00:00:00Z"}"#
            )
        }
        guard symbols.count * timeframes.count <= Self.maxBulkJobs else {
            throw GatewayHTTPError(
                .badRequest, .pageTooLarge,
                "\(symbols.count) symbols × \(timeframes.count) timeframes is more than \(Self.maxBulkJobs) jobs; "
                    + "split the request")
        }
        var jobs: [Any] = []
        var refused: [[String: Any]] = []
        for symbol in symbols {
            for timeframe in timeframes {
                let argument = try backfillArgument(object, symbol: symbol, timeframe: timeframe)
                do {
                    let reply = try await schedulerControl(.backfill, argument: argument)
                    jobs.append((try? JSONSerialization.jsonObject(with: Data(reply.message.utf8))) ?? [:])
                } catch let error as GatewayHTTPError where error.status == .badRequest {
                    // One refused market does not stop the others; the answer lists it with the reason.
                    refused.append(["symbol": symbol, "timeframe": timeframe, "message": error.message])
                }
            }
        }
        let body =
            (try? JSONSerialization.data(withJSONObject: ["jobs": jobs, "refused": refused], options: [.sortedKeys]))
        return JSONBody.response(jobs.isEmpty ? .badRequest : .accepted, bytes: Array(body ?? Data("{}".utf8)))
    }

    /// `POST /api/v1/admin/historical-data/schedule`: backfill every configured market of the enabled
    /// exchanges (or of one) for the given timeframes and range.
    func historicalSchedule(_ inputs: RouteInputs) async throws -> Response {
        let object = try await historyBody(inputs, allowEmpty: true)
        let configuration = configuration()
        let only = object["exchange"] as? String
        let timeframes = object["timeframes"] as? [String] ?? configuration.scheduler.timeframes.map(\.description)
        var jobs: [Any] = []
        var refused: [[String: Any]] = []
        for exchange in configuration.enabledExchanges where only == nil || only == exchange.exchange.rawValue {
            for symbol in exchange.markets {
                for timeframe in timeframes {
                    var request = object
                    request["exchange"] = exchange.exchange.rawValue
                    request["market"] = exchange.category.description
                    let argument = try backfillArgument(request, symbol: symbol, timeframe: timeframe)
                    do {
                        let reply = try await schedulerControl(.backfill, argument: argument)
                        jobs.append((try? JSONSerialization.jsonObject(with: Data(reply.message.utf8))) ?? [:])
                    } catch let error as GatewayHTTPError where error.status == .badRequest {
                        refused.append([
                            "exchange": exchange.exchange.rawValue, "symbol": symbol, "timeframe": timeframe,
                            "message": error.message,
                        ])
                    }
                }
            }
        }
        let body =
            (try? JSONSerialization.data(withJSONObject: ["jobs": jobs, "refused": refused], options: [.sortedKeys]))
        return JSONBody.response(.accepted, bytes: Array(body ?? Data("{}".utf8)))
    }

    /// `GET /api/v1/historical/jobs`.
    func historicalJobs(_ inputs: RouteInputs) async throws -> Response {
        let reply = try await schedulerControl(.jobs, argument: "")
        return JSONBody.response(.ok, bytes: Array(reply.message.utf8))
    }

    /// `GET /api/v1/historical/jobs/{id}`.
    func historicalJob(_ inputs: RouteInputs) async throws -> Response {
        let text = inputs.text("id") ?? ""
        guard let id = Int64(text), id > 0 else {
            throw GatewayHTTPError(.badRequest, .badRequest, "job id \"\(text.prefix(40))\" is not a positive integer")
        }
        do {
            let reply = try await schedulerControl(.jobs, argument: "{\"id\":\(id)}")
            return JSONBody.response(.ok, bytes: Array(reply.message.utf8))
        } catch let error as GatewayHTTPError where error.status == .badRequest {
            throw GatewayHTTPError(.notFound, .noData, error.message)
        }
    }

    /// `GET /api/v1/historical/capacity/{exchange}`: the budgets the exchange's ingestor last reported and
    /// the scheduler's window and delay for them.
    func historicalCapacity(_ inputs: RouteInputs) async throws -> Response {
        let exchange = try exchange(inputs)
        let reply = try await schedulerControl(.capacity, argument: "")
        let object = (try? JSONSerialization.jsonObject(with: Data(reply.message.utf8))) as? [String: Any] ?? [:]
        let entry = (object["exchanges"] as? [[String: Any]] ?? []).first {
            $0["exchange"] as? String == exchange.id.rawValue
        }
        guard let entry else {
            throw GatewayHTTPError(
                .notFound, .noData,
                "no capacity reported by ingestor-\(exchange.id) yet (ingestors report every 5 s while running)")
        }
        let body = (try? JSONSerialization.data(withJSONObject: entry, options: [.sortedKeys])) ?? Data("{}".utf8)
        return JSONBody.response(.ok, bytes: Array(body))
    }

    /// `POST /api/v1/historical/optimize-capacity`: the scheduler re-plans each exchange (or the one named)
    /// from its latest capacity report and answers what changed: window, delay and pages per minute, before
    /// and after. Forwarded as `capacity` with `{"optimize":true}`.
    func historicalOptimizeCapacity(_ inputs: RouteInputs) async throws -> Response {
        let object = try await historyBody(inputs, allowEmpty: true)
        var argument: [String: Any] = ["optimize": true]
        if let value = object["exchange"] {
            guard let name = value as? String else {
                throw GatewayHTTPError(
                    .badRequest, .badBody, #""exchange" must be a string, e.g. {"exchange":"binance"}"#)
            }
            argument["exchange"] = name
        }
        let text = (try? JSONSerialization.data(withJSONObject: argument, options: [.sortedKeys])) ?? Data("{}".utf8)
        let reply = try await schedulerControl(.capacity, argument: String(decoding: text, as: UTF8.self))
        return JSONBody.response(.ok, bytes: Array(reply.message.utf8))
    }

    /// `GET /api/v1/historical/coverage/{exchange}/{symbol}/{timeframe}`.
    func historicalCoverage(_ inputs: RouteInputs) async throws -> Response {
        let exchange = try exchange(inputs)
        var object: [String: Any] = ["exchange": exchange.id.rawValue]
        object["market"] = try marketType(inputs, exchange).description
        let now = WallClock.nowNanoseconds() / 1_000_000
        let end = try inputs.time("end")?.milliseconds ?? now
        object["to"] = end
        object["from"] = try inputs.time("start")?.milliseconds ?? (end - 86_400_000)
        let argument = try backfillArgument(
            object, symbol: inputs.text("symbol").map(RouteInputs.percentDecoded), timeframe: inputs.text("timeframe"))
        let reply = try await schedulerControl(.coverage, argument: argument)
        return JSONBody.response(.ok, bytes: Array(reply.message.utf8))
    }

    // MARK: - Pieces

    private func historyBody(_ inputs: RouteInputs, allowEmpty: Bool = false) async throws -> [String: Any] {
        let buffer = try await inputs.request.body.collect(upTo: policy.values.maxBody)
        if allowEmpty, buffer.readableBytes == 0 { return [:] }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any]
        else {
            throw GatewayHTTPError(
                .badRequest, .badBody, "the body must be one JSON object (Content-Type: application/json)")
        }
        return object
    }

    /// The scheduler's `backfill` argument from a request body: times as RFC 3339 text or epoch ms.
    private func backfillArgument(_ object: [String: Any], symbol: Any?, timeframe: Any?) throws -> String {
        guard let symbol = symbol as? String, !symbol.isEmpty else {
            throw GatewayHTTPError(.badRequest, .badSymbol, #"a "symbol" is required, e.g. "BTCUSDT" or "BTC/USDT""#)
        }
        guard let timeframe = timeframe as? String, !timeframe.isEmpty else {
            throw GatewayHTTPError(.badRequest, .badTimeframe, #"a "timeframe" is required, e.g. "1m" or "1h""#)
        }
        var argument: [String: Any] = [
            "exchange": object["exchange"] as? String ?? "", "symbol": symbol, "timeframe": timeframe,
            "market": object["market"] as? String ?? "spot",
        ]
        if let order = object["order"] { argument["order"] = order }
        for (key, target) in [("start", "from"), ("end", "to"), ("from", "from"), ("to", "to")] {
            guard let value = object[key] else { continue }
            if let number = value as? NSNumber {
                argument[target] = number.int64Value
            } else if let text = value as? String, let time = TimeText.parse(text) {
                argument[target] = time.milliseconds
            } else {
                throw GatewayHTTPError(
                    .badRequest, .badRange, "\"\(key)\" is not a time; write \(TimeText.accepted)")
            }
        }
        return Self.json(argument)
    }

    /// Sends a history command to the scheduler and maps its refusal to an HTTP error.
    private func schedulerControl(_ command: ControlCommand, argument: String) async throws -> ControlReply {
        let configuration = configuration()
        guard configuration.scheduler.enabled else {
            throw GatewayHTTPError(
                .conflict, .schedulerUnavailable, "the scheduler does not run: scheduler.enabled is false")
        }
        let reply = try await controlReply(
            command, to: .scheduler, argument: argument, configuration: configuration,
            unavailable: .schedulerUnavailable)
        switch reply.result {
        case .ok: return reply
        case .invalidRequest: throw GatewayHTTPError(.badRequest, .rejected, reply.message)
        case .failed where reply.message.hasPrefix("history needs PostgreSQL"):
            throw GatewayHTTPError(.serviceUnavailable, .historyUnavailable, reply.message)
        case .failed, .busy, .invalidConfig, .unknownTarget:
            throw GatewayHTTPError(.badGateway, .schedulerUnavailable, "scheduler: \(reply.message)")
        }
    }
}
