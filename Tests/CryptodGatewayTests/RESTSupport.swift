import CryptodConfig
import CryptodGateway
import CryptodIPC
import CryptodModel
import CryptodWire
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// The admin token the REST tests configure.
let testAdminToken = "t0ken-for-tests"

/// A test configuration with extra `[gateway]` (or other) values; history points at a port nothing
/// listens on unless `postgres` is given, so no test reaches a server by accident.
func restConfiguration(
    runtime: String, exchanges: [String] = [], postgres: String? = nil, _ extra: [String: ConfigValue] = [:]
) -> Configuration {
    var values = testConfiguration(runtime: runtime, exchanges: exchanges).values
    values["gateway.admin_token"] = .secret(SecretString(testAdminToken))
    values["gateway.postgres_url"] = .secret(.url(postgres ?? "postgresql://nobody@127.0.0.1:1/none"))
    for (key, value) in extra { values[key] = value }
    return Configuration(values: values)
}

/// Runs `body` against the REST router of a gateway built from `configuration`, after `feed`.
func withREST(
    _ configuration: Configuration, feed: [Message] = [],
    _ body: @Sendable (GatewayServer, any TestClientProtocol) async throws -> Void
) async throws {
    let (server, _) = makeServer(configuration)
    if !feed.isEmpty {
        let items = feed.enumerated().map { SequencedMessage(sequence: UInt64($0.offset + 1), message: $0.element) }
        try await server.consumer.consume(StreamDelivery(stream: "replay>gateway", epoch: 1, items: items))
    }
    try await Application(router: server.restRouter()).test(.router) { client in try await body(server, client) }
    await server.historyPool?.close()
}

let admin: HTTPFields = [.authorization: "Bearer \(testAdminToken)"]

/// Serves `path` as an ingestor would for control commands: records each request and answers with `reply`.
final class FakeIngestor: Sendable {
    private final class Log: Sendable {
        let requests = Mutex<[ControlRequest]>([])
    }

    private let log = Log()
    let task: Task<Void, any Error>

    /// The requests received so far.
    var sent: [ControlRequest] { log.requests.withLock { $0 } }

    init(path: String, reply: @escaping @Sendable (ControlRequest) -> (ControlReply.Result, String)) {
        let listener = LinkListener(
            path: path, identity: LinkIdentity(role: .ingestor, name: "ingestor-binance"), settings: LinkSettings(),
            logger: testLogger("fake-ingestor"))
        let log = log
        task = Task {
            try await listener.run { _ in
                LinkEndpoint(onMessage: { message, writer in
                    guard case .controlRequest(let request) = message else {
                        throw LinkError.protocolViolation("not a control request")
                    }
                    log.requests.withLock { $0.append(request) }
                    let (result, text) = reply(request)
                    try await writer.send(
                        .controlReply(
                            ControlReply(
                                requestID: request.requestID, result: result, message: text,
                                serverTime: Timestamp(seconds: 1_700_000_000))))
                })
            }
        }
    }

    deinit { task.cancel() }
}

func instruments(_ exchange: ExchangeID, _ entries: [(MarketType, String, String, String)]) -> Message {
    .instruments(
        InstrumentList(
            exchange: exchange,
            instruments: entries.map { type, symbol, base, quote in
                Instrument(
                    market: MarketKey(exchange: exchange, type: type, symbol: symbol), base: base, quote: quote,
                    status: .trading, tickSize: "0.01", lotSize: "0.00001", minQuantity: "0.00001", minNotional: "5")
            }))
}

func level(_ price: ExactDecimal, _ quantity: ExactDecimal) -> BookLevel { BookLevel(price: price, quantity: quantity) }
