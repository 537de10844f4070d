import CryptodModel
import Hummingbird

/// A request's parameters, read by the rules of its route's ``RouteSpec/Parameter``s, so that what is
/// checked is exactly what the OpenAPI document says.
struct RouteInputs {
    let route: RouteSpec
    let request: Request
    let context: GatewayRequestContext

    private func parameter(_ name: String) -> RouteSpec.Parameter {
        guard let parameter = route.parameters.first(where: { $0.name == name }) else {
            preconditionFailure("route \(route.path) has no parameter \(name)")
        }
        return parameter
    }

    /// The raw text of a parameter (path segments percent-decoded; a trailing `{symbol}` joined with `/`).
    func text(_ name: String) -> String? {
        let parameter = parameter(name)
        switch parameter.location {
        case .path:
            if name == "symbol", route.path.hasSuffix("/{symbol}") {
                let parts = context.parameters.getCatchAll()
                return parts.isEmpty ? nil : parts.map { Self.percentDecoded(String($0)) }.joined(separator: "/")
            }
            return context.parameters.get(name).map(Self.percentDecoded)
        case .query:
            return request.uri.queryParameters.get(name)
        }
    }

    /// An integer parameter, its default when absent.
    func integer(_ name: String) throws -> Int {
        let parameter = parameter(name)
        guard case .integer(let range, let defaultValue) = parameter.kind else {
            preconditionFailure("\(name) is not an integer parameter")
        }
        guard let text = text(name), !text.isEmpty else {
            guard let defaultValue else { throw missing(parameter) }
            return defaultValue
        }
        guard let value = Int(text), range.contains(value) else {
            if let value = Int(text), value > range.upperBound, let code = parameter.aboveRangeCode {
                throw GatewayHTTPError(
                    .badRequest, code,
                    "\(name)=\(value) is too large: at most \(range.upperBound) per page; follow next_cursor for more")
            }
            throw GatewayHTTPError(
                .badRequest, parameter.errorCode,
                "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
        }
        return value
    }

    /// A word parameter, its default (or nil) when absent.
    func choice(_ name: String, allowed: [String]? = nil, what: String? = nil) throws -> String? {
        let parameter = parameter(name)
        guard case .choice(let words, let defaultValue) = parameter.kind else {
            preconditionFailure("\(name) is not a choice parameter")
        }
        guard let text = text(name), !text.isEmpty else { return defaultValue }
        let accepted = allowed ?? words
        guard accepted.contains(text) else {
            throw GatewayHTTPError(
                .badRequest, parameter.errorCode,
                "\(name) \"\(text)\" is not \(what ?? "accepted here"); use one of \(accepted.joined(separator: ", "))")
        }
        return text
    }

    /// A time parameter, nil when absent.
    func time(_ name: String) throws -> Timestamp? {
        let parameter = parameter(name)
        guard let text = text(name), !text.isEmpty else { return nil }
        guard let time = TimeText.parse(text) else {
            throw GatewayHTTPError(
                .badRequest, parameter.errorCode, "\(name) \"\(text)\" is not a time; write \(TimeText.accepted)")
        }
        return time
    }

    private func missing(_ parameter: RouteSpec.Parameter) -> GatewayHTTPError {
        GatewayHTTPError(.badRequest, parameter.errorCode, "\(parameter.name) is required: \(parameter.description)")
    }

    /// `BTC%2FUSDT` → `BTC/USDT`; text that is not valid percent-encoding is kept as it is.
    static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var input = Array(text.utf8)[...]
        while let byte = input.popFirst() {
            if byte == UInt8(ascii: "%"), input.count >= 2,
                let high = hexValue(input[input.startIndex]), let low = hexValue(input[input.startIndex + 1])
            {
                bytes.append(high << 4 | low)
                input = input.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self) ?? text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 65...70: byte - 55
        case 97...102: byte - 87
        default: nil
        }
    }
}
