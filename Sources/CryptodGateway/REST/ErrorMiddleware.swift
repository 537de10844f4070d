import Hummingbird
import Logging

/// Turns every failure into a JSON error body.
///
/// - Unknown paths: 404 `unknown_endpoint`, listing the endpoints that exist.
/// - Known paths with another method: 405 `method_not_allowed` with an `Allow` header.
/// - ``GatewayHTTPError`` passes through (the router renders it); Hummingbird's own `HTTPError`s are
///   rewritten into the same shape (`bad_request`, or `internal` for 5xx).
/// - Anything else is a bug: logged, answered with 500 `internal` instead of Hummingbird's empty 500.
///
/// Hummingbird's router answers both "no such path" and "no such method" with `HTTPError(.notFound)`
/// from a responder wrapped in the router's middleware, which is why this is a middleware and why it tells
/// the two apart itself.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The routes served, as `(path template, methods)`; `{name}` (or `:name`) segments match any one
    /// segment, and a trailing `{symbol}` one or more.
    let endpoints: [(path: String, methods: [HTTPRequest.Method])]
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as GatewayHTTPError {
            throw error
        } catch let error as HTTPError where error.status == .notFound {
            throw notFound(request)
        } catch let error as HTTPError {
            // Hummingbird's own refusals get the same body shape as ours.
            let code: GatewayHTTPError.Code =
                error.status.code >= 500
                ? .internalError : error.status == .contentTooLarge ? .bodyTooLarge : .badRequest
            throw GatewayHTTPError(error.status, code, error.body ?? error.status.reasonPhrase, headers: error.headers)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            throw GatewayHTTPError(
                .internalServerError, .internalError,
                "the gateway failed to answer \(request.method) \(request.uri.path): \(error). "
                    + "This is a bug; the gateway log has details"
            )
        }
    }

    private func notFound(_ request: Request) -> GatewayHTTPError {
        let path = request.uri.path
        if let known = endpoints.first(where: { Self.matches(template: $0.path, path: path) }) {
            let allowed = known.methods.map(\.rawValue).joined(separator: ", ")
            return GatewayHTTPError(
                .methodNotAllowed, .methodNotAllowed, "\(path) answers only \(allowed), not \(request.method)",
                headers: [.allow: allowed])
        }
        let list = endpoints.map { "\($0.methods.map(\.rawValue).joined(separator: "|")) \($0.path)" }.joined(
            separator: ", ")
        return GatewayHTTPError(.notFound, .unknownEndpoint, "no endpoint \(path); the endpoints are: \(list)")
    }

    static func matches(template: String, path: String) -> Bool {
        RouteSpec.matches(template: template, path: path)
    }
}
