import Hummingbird
import Logging

/// Runs around every REST request, outside ``ErrorMiddleware``: per-client rate limit (429 with
/// `Retry-After`), request size, CORS, and the request metrics (by route and status, and latency).
struct AccessMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let policy: RESTPolicy
    let limiter: RateLimiter
    let metrics: GatewayMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let values = policy.values
        let origin = request.headers[.origin]
        var response: Response
        if let wait = limiter.admit(context.clientKey) {
            let seconds = max(1, Int(wait.rounded(.up)))
            response = try GatewayHTTPError(
                .tooManyRequests, .rateLimited,
                "more than \(limiter.settings.burst) requests at once or \(limiter.settings.rate) per second from "
                    + "\(context.clientKey) (gateway.rate_limit, gateway.rate_burst); retry after \(seconds) s",
                headers: [.retryAfter: "\(seconds)"]
            ).response(from: request, context: context)
        } else if request.method == .options, origin != nil, request.headers[.accessControlRequestMethod] != nil {
            // A CORS preflight: answered here, the routes never see OPTIONS.
            response = Response(status: .noContent)
            if let origin, Self.allows(origin, values.corsOrigins) {
                response.headers[.accessControlAllowMethods] = "GET, POST, DELETE, HEAD, OPTIONS"
                response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type"
                response.headers[.accessControlMaxAge] = "600"
            }
        } else if let length = request.headers[.contentLength].flatMap(Int.init), length > values.maxBody {
            response = try GatewayHTTPError(
                .contentTooLarge, .bodyTooLarge,
                "the request body has \(length) bytes; at most \(values.maxBody) are accepted (gateway.max_body)"
            ).response(from: request, context: context)
        } else {
            do {
                response = try await next(request, context)
            } catch let error as any HTTPResponseError {
                response = try error.response(from: request, context: context)
            }
        }
        if let origin, Self.allows(origin, values.corsOrigins) {
            response.headers[.accessControlAllowOrigin] = values.corsOrigins.contains("*") ? "*" : origin
            response.headers[.vary] = "Origin"
        }
        metrics.httpRequest(
            route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
            status: response.status.code, duration: start.duration(to: .now))
        return response
    }

    static func allows(_ origin: String, _ allowed: [String]) -> Bool {
        allowed.contains("*") || allowed.contains(origin)
    }
}
