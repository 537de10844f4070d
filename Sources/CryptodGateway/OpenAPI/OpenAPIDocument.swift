import CryptodFormats
import Hummingbird

/// The OpenAPI 3.1 document of the REST API, generated from ``RouteTable`` (served at `/openapi.json` and
/// kept as docs/openapi.json, which a test compares with this output).
package enum OpenAPIDocument {
    package static let regenerateCommand =
        "CRYPTOD_REGENERATE_OPENAPI=1 swift test --filter CryptodGatewayTests.OpenAPITests"

    /// The document; `compact` leaves out the indentation the checked-in file has.
    package static func generate(_ table: RouteTable, compact: Bool = false) -> [UInt8] {
        var json = JSONWriter(capacity: 64 << 10)
        json.object { json in
            json.field("openapi", "3.1.0")
            json.key("info")
            json.object { json in
                json.field("title", "cryptod gateway")
                json.field("version", "1")
                json.field(
                    "description",
                    "Market data collected by cryptod: live state from memory, candle history from PostgreSQL, "
                        + "runtime subscriptions and process status. Prices and quantities are exact decimal "
                        + "strings. Errors are {\"error\":{\"code\",\"message\"}}; see docs/api.md.")
            }
            json.key("tags")
            json.array { json in
                for (name, text) in tags {
                    json.object { json in
                        json.field("name", name)
                        json.field("description", text)
                    }
                }
            }
            json.key("paths")
            json.object { json in
                var seen: [String] = []
                for route in table.routes where !seen.contains(route.path) {
                    seen.append(route.path)
                    json.key(route.path)
                    json.object { json in
                        for operation in table.routes where operation.path == route.path {
                            json.key(operation.method.rawValue.lowercased())
                            write(operation, into: &json)
                        }
                    }
                }
            }
            json.key("components")
            json.object { json in
                json.key("schemas")
                json.object { json in
                    for component in SchemaComponents.all {
                        json.key(component.name)
                        component.schema.write(into: &json, description: component.description)
                    }
                }
                json.key("securitySchemes")
                json.object { json in
                    json.key("adminToken")
                    json.object { json in
                        json.field("type", "http")
                        json.field("scheme", "bearer")
                        json.field("description", "gateway.admin_token (environment: CRYPTOD_GATEWAY_ADMIN_TOKEN).")
                    }
                }
            }
        }
        return compact ? json.bytes : indented(json.bytes)
    }

    private static let tags: [(String, String)] = [
        ("service", "Health, metrics and documentation."),
        ("exchanges", "The exchanges and their markets."),
        ("market data", "Tickers and order books from memory, candle history from PostgreSQL."),
        ("admin", "Need Authorization: Bearer <gateway.admin_token>."),
        ("legacy", "The first API's routes, kept working for their clients."),
    ]

    private static func write(_ route: RouteSpec, into json: inout JSONWriter) {
        json.object { json in
            json.field("operationId", route.id.rawValue)
            json.field("summary", route.summary)
            json.field("description", route.description)
            json.key("tags")
            json.array { $0.value(route.tag) }
            if route.legacy { json.field("deprecated", true) }
            if route.auth == .admin {
                json.key("security")
                json.array { json in
                    json.object { json in
                        json.key("adminToken"); json.array { _ in }
                    }
                }
            }
            if !route.parameters.isEmpty {
                json.key("parameters")
                json.array { json in
                    for parameter in route.parameters {
                        json.object { json in
                            json.field("name", parameter.name)
                            json.field("in", parameter.location.rawValue)
                            json.field("required", parameter.required)
                            json.field("description", parameter.description)
                            json.key("schema")
                            parameter.schema.write(into: &json)
                        }
                    }
                }
            }
            if let body = route.requestBody {
                json.key("requestBody")
                json.object { json in
                    json.field("required", true)
                    json.key("content")
                    json.object { json in
                        json.key("application/json")
                        json.object { json in
                            json.key("schema")
                            body.write(into: &json)
                        }
                    }
                }
            }
            json.key("responses")
            json.object { json in
                for status in route.statuses {
                    json.key("\(status.code)")
                    json.object { json in
                        if status == route.successStatus {
                            json.field("description", route.summary)
                            writeContent(route.response, into: &json)
                        } else if status == .serviceUnavailable, route.id == .health {
                            json.field("description", "Not every process is ready; the body names what is wrong.")
                            writeContent(route.response, into: &json)
                        } else {
                            json.field("description", status.reasonPhrase)
                            if status == .tooManyRequests {
                                json.key("headers")
                                json.object { json in
                                    json.key("Retry-After")
                                    json.object { json in
                                        json.field("description", "Seconds to wait.")
                                        json.key("schema")
                                        JSONSchema.integer(minimum: 1).write(into: &json)
                                    }
                                }
                            }
                            writeContent(.json(.ref("Error")), into: &json)
                        }
                    }
                }
            }
        }
    }

    private static func writeContent(_ body: RouteSpec.Body, into json: inout JSONWriter) {
        json.key("content")
        json.object { json in
            switch body {
            case .json(let schema):
                json.key("application/json")
                json.object { json in
                    json.key("schema")
                    schema.write(into: &json)
                }
            case .prometheus:
                json.key("text/plain")
                json.object { json in
                    json.key("schema")
                    JSONSchema.string().write(into: &json)
                }
            case .html:
                json.key("text/html")
                json.object { json in
                    json.key("schema")
                    JSONSchema.string().write(into: &json)
                }
            case .file:
                for type in ["text/javascript", "text/css", "image/png"] {
                    json.key(type)
                    json.object { json in
                        json.key("schema")
                        JSONSchema.string(.init(format: "binary")).write(into: &json)
                    }
                }
            }
        }
    }

    /// Compact JSON → two-space indentation, one member per line (for a reviewable checked-in file).
    static func indented(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        var depth = 0
        var inString = false
        var escaped = false
        func newline() {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(0x20, count: depth * 2))
        }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            defer { index += 1 }
            if inString {
                out.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                out.append(byte)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let close = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                if index + 1 < bytes.count, bytes[index + 1] == close {
                    out.append(byte)
                    out.append(close)
                    index += 1
                } else {
                    out.append(byte)
                    depth += 1
                    newline()
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                newline()
                out.append(byte)
            case UInt8(ascii: ","):
                out.append(byte)
                newline()
            case UInt8(ascii: ":"):
                out.append(byte)
                out.append(0x20)
            default:
                out.append(byte)
            }
        }
        out.append(0x0A)
        return out
    }
}
