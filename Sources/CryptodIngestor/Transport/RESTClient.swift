import AsyncHTTPClient
import CryptodExchanges
import CryptodModel
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOSSL

/// An exchange's answer to a REST request.
package struct RESTResponse: Sendable {
    package var status: Int
    package var headers: [(String, String)]
    package var body: [UInt8]
}

/// Why a REST call failed, in words an operator can act on.
package struct RESTError: Error, Sendable, CustomStringConvertible {
    package enum Kind: String, Sendable {
        /// The connection failed or timed out: retried.
        case transport
        /// 5xx: retried.
        case server
        /// 4xx other than rate limits: the request itself is wrong (unknown symbol, bad parameter).
        case client
        /// Rate limited (429/418/403/10006): the governor holds further calls until the window resets.
        case rateLimited = "rate_limited"
        case cancelled
    }

    package var kind: Kind
    package var request: String
    package var status: Int?
    package var message: String

    package var description: String {
        "\(request): \(kind.rawValue)\(status.map { " (HTTP \($0))" } ?? ""): \(message)"
    }
}

/// REST calls to one exchange: pooled keep-alive connections (async-http-client, TLS through
/// swift-nio-ssl), every call admitted by the exchange's rate-limit governor first and reported to it
/// afterwards, so that snapshots, polling, gap-fill and backfill share one budget.
package final class RESTClient: Sendable {
    package let exchange: ExchangeID
    private let baseURL: String
    private let client: HTTPClient
    package let governor: GovernorGate
    private let logger: Logger
    private let metrics: Instruments
    /// Exchanges answer in well under 16 MiB; a bigger body is an error, not an allocation.
    private let maxBody = 16 << 20

    private struct Instruments {
        let requests: Counter
        let errors: Counter
        let latency: Metrics.Timer
        let rateLimited: Counter

        init(exchange: ExchangeID) {
            let dimensions = [("exchange", exchange.rawValue)]
            requests = Counter(label: "cryptod_ingestor_rest_requests_total", dimensions: dimensions)
            errors = Counter(label: "cryptod_ingestor_rest_errors_total", dimensions: dimensions)
            latency = Metrics.Timer(label: "cryptod_ingestor_rest_latency_seconds", dimensions: dimensions)
            rateLimited = Counter(label: "cryptod_ingestor_rest_rate_limited_total", dimensions: dimensions)
        }
    }

    /// - Parameters:
    ///   - baseURL: `rest_url` of the exchange (`https://api.binance.com`, or exchsim's loopback URL).
    ///   - caFile: a PEM file of extra trust roots (tests against `exchsim --tls`); nil = system store.
    package init(exchange: ExchangeID, baseURL: String, caFile: String?, governor: GovernorGate, logger: Logger) throws
    {
        self.exchange = exchange
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        var configuration = HTTPClient.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile, !caFile.isEmpty {
            tls.trustRoots = .file(caFile)
        }
        configuration.tlsConfiguration = tls
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 8)
        configuration.decompression = .enabled(limit: .ratio(50))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.governor = governor
        self.logger = logger
        metrics = Instruments(exchange: exchange)
    }

    package func shutdown() async {
        try? await client.shutdown()
    }

    /// Sends `request` once the governor admits it at `priority`.
    /// - Throws: ``RESTError``; a rate-limit answer has already been reported to the governor.
    /// - Parameter acceptingClientErrors: return 4xx answers instead of throwing (a key check reads the
    ///   exchange's error body to say which part of the key was wrong).
    package func send(
        _ request: RESTRequest, priority: RequestPriority, acceptingClientErrors: Bool = false
    ) async throws -> RESTResponse {
        try await governor.admit(weight: request.weight, group: request.path, priority: priority)
        var outgoing = HTTPClientRequest(url: baseURL + request.pathAndQuery)
        outgoing.method = request.method == .get ? .GET : .POST
        outgoing.headers.add(name: "User-Agent", value: "cryptod")
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        metrics.requests.increment()
        let started = ContinuousClock.now
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(outgoing, timeout: .seconds(30), logger: logger)
            body = try await response.body.collect(upTo: maxBody)
        } catch is CancellationError {
            await governor.released(weight: request.weight, group: request.path)
            throw RESTError(kind: .cancelled, request: request.description, status: nil, message: "cancelled")
        } catch {
            metrics.errors.increment()
            await governor.released(weight: request.weight, group: request.path)
            throw RESTError(
                kind: .transport, request: request.description, status: nil,
                message: "\(error); check rest_url and that the exchange is reachable")
        }
        let elapsed = (ContinuousClock.now - started).components
        metrics.latency.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
        let headers = response.headers.map { ($0.name, $0.value) }
        let bytes = Array(body.readableBytesView)
        let status = Int(response.status.code)
        let limited = await governor.observe(
            status: status, headers: headers, body: bytes, weight: request.weight, group: request.path)
        if limited {
            metrics.rateLimited.increment()
            logger.warning(
                "rate limited by the exchange; the governor pauses requests until the window resets",
                metadata: ["request": "\(request.description)", "status": "\(status)"])
            throw RESTError(
                kind: .rateLimited, request: request.description, status: status, message: Self.excerpt(bytes))
        }
        switch status {
        case 200..<300:
            return RESTResponse(status: status, headers: headers, body: bytes)
        case 500...:
            metrics.errors.increment()
            throw RESTError(kind: .server, request: request.description, status: status, message: Self.excerpt(bytes))
        default:
            if acceptingClientErrors { return RESTResponse(status: status, headers: headers, body: bytes) }
            metrics.errors.increment()
            throw RESTError(kind: .client, request: request.description, status: status, message: Self.excerpt(bytes))
        }
    }

    /// Sends with retries for transient failures (transport, 5xx, rate limits), with capped, jittered
    /// backoff, `attempts` times at most (`nil` = until cancelled).
    package func sendRetrying(
        _ request: RESTRequest, priority: RequestPriority, attempts: Int? = 5
    ) async throws -> RESTResponse {
        var attempt = 0
        var backoff = Duration.milliseconds(250)
        while true {
            attempt += 1
            do {
                return try await send(request, priority: priority)
            } catch let error as RESTError {
                switch error.kind {
                case .client, .cancelled: throw error
                case .transport, .server, .rateLimited:
                    if let attempts, attempt >= attempts { throw error }
                    if attempt == 1 || attempt.isMultiple(of: 10) {
                        logger.warning(
                            "REST call failed; retrying", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                    }
                    let jitter = Double.random(in: 0.5...1.0)
                    try await Task.sleep(for: backoff * jitter)
                    backoff = min(backoff * 2, .seconds(30))
                }
            }
        }
    }

    /// A short, printable start of an answer body for error messages (never a whole payload).
    static func excerpt(_ body: [UInt8]) -> String {
        let prefix = body.prefix(200)
        return String(decoding: prefix, as: UTF8.self).filter { $0 != "\n" } + (body.count > 200 ? "…" : "")
    }
}
