import Foundation

/// One request a WebSocket client sent, as JSON text:
///
/// ```json
/// {"op":"subscribe","topics":["trades.binance.BTCUSDT"],"id":1}
/// {"op":"unsubscribe","topics":["trades.binance.BTCUSDT"]}
/// {"op":"list"}
/// {"op":"ping","id":"abc"}
/// ```
///
/// `id` is optional (an integer or a string) and echoed in the reply. Requests are rare and small, so
/// Foundation's decoder is fine here; the hot path (events to clients) never decodes.
struct ClientRequest: Sendable, Equatable {
    enum Operation: String, Sendable, CaseIterable {
        case subscribe
        case unsubscribe
        case list
        case ping
    }

    /// The client's correlation id, echoed in the reply.
    enum ID: Sendable, Equatable, Decodable {
        case integer(Int64)
        case text(String)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let integer = try? container.decode(Int64.self) {
                self = .integer(integer)
            } else if let text = try? container.decode(String.self) {
                self = .text(text)
            } else {
                throw DecodingError.typeMismatch(
                    ID.self,
                    .init(codingPath: decoder.codingPath, debugDescription: "id must be an integer or a string"))
            }
        }
    }

    var operation: Operation
    var topics: [String]
    var id: ID?

    /// Topics one request may name.
    static let maxTopicsPerRequest = 256

    private struct Body: Decodable {
        var op: String?
        var topics: [String]?
        var id: ID?
    }

    /// Reads a request.
    /// - Throws: ``ClientError`` saying what is wrong and how to write it instead.
    init(text: String) throws(ClientError) {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(text.utf8))
        } catch let DecodingError.typeMismatch(_, context) {
            throw Self.fieldError(context)
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw Self.fieldError(context)
        } catch {
            throw ClientError(.badJSON, Self.notAnObject)
        }
        id = body.id
        guard let op = body.op else {
            throw ClientError(.badRequest, "missing \"op\"; use one of \(Self.operationList)", id: body.id)
        }
        guard let operation = Operation(rawValue: op) else {
            throw ClientError(.unknownOp, "unknown op \"\(op)\"; use one of \(Self.operationList)", op: op, id: body.id)
        }
        self.operation = operation
        switch operation {
        case .subscribe, .unsubscribe:
            guard let topics = body.topics, !topics.isEmpty else {
                throw ClientError(
                    .badRequest, "\(op) needs \"topics\": a non-empty array such as [\"ticker.binance.BTCUSDT\"]",
                    op: op, id: body.id)
            }
            guard topics.count <= Self.maxTopicsPerRequest else {
                throw ClientError(
                    .tooManyTopics,
                    "one request may name at most \(Self.maxTopicsPerRequest) topics, this one has \(topics.count); "
                        + "split it or use wildcards",
                    op: op, id: body.id)
            }
            self.topics = topics
        case .list, .ping:
            topics = []
        }
    }

    private static let notAnObject =
        #"the message is not a JSON object; send e.g. {"op":"subscribe","topics":["trades.binance.BTCUSDT"]}"#

    private static var operationList: String { Operation.allCases.map(\.rawValue).joined(separator: ", ") }

    private static func fieldError(_ context: DecodingError.Context) -> ClientError {
        switch context.codingPath.first?.stringValue {
        case "op": ClientError(.badRequest, "\"op\" must be a string: one of \(operationList)")
        case "topics":
            ClientError(.badRequest, "\"topics\" must be an array of strings such as [\"trades.binance.BTCUSDT\"]")
        case "id": ClientError(.badRequest, "\"id\" must be an integer or a string")
        default: ClientError(.badJSON, notAnObject)
        }
    }
}

/// An error reply to a client: `{"type":"error","op":"error","code":"…","message":"…"}` (both keys, so a
/// client of either format recognises it). The connection stays open.
struct ClientError: Error, Sendable, Equatable {
    /// Stable, documented error codes (docs/websocket.md).
    enum Code: String, Sendable {
        case badJSON = "bad_json"
        case badRequest = "bad_request"
        case unknownOp = "unknown_op"
        case unknownType = "unknown_type"
        case badTopic = "bad_topic"
        case badStream = "bad_stream"
        case badExchange = "bad_exchange"
        case badSymbol = "bad_symbol"
        case badMarket = "bad_market"
        case badInterval = "bad_interval"
        case badResume = "bad_resume"
        case tooManyTopics = "too_many_topics"
        case binaryNotSupported = "binary_not_supported"
    }

    var code: Code
    var message: String
    /// The op (or, for a seed-format request, the type) of the request that failed, when it could be read.
    var op: String?
    var id: ClientRequest.ID?
    /// Whether the request was in the seed's `type` format (the reply then names `request_type`).
    var seed: Bool

    init(_ code: Code, _ message: String, op: String? = nil, id: ClientRequest.ID? = nil, seed: Bool = false) {
        self.code = code
        self.message = message
        self.op = op
        self.id = id
        self.seed = seed
    }
}
