import CryptodModel

/// A REST call an adapter wants made. The ingestor sends it through the exchange's rate-limit governor.
public struct RESTRequest: Sendable, Hashable, CustomStringConvertible {
    public enum Method: String, Sendable, Hashable {
        case get = "GET"
        case post = "POST"
    }

    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String
        /// Secret values (signatures, keys) are never logged.
        public var isSecret: Bool

        public init(_ name: String, _ value: String, isSecret: Bool = false) {
            self.name = name
            self.value = value
            self.isSecret = isSecret
        }
    }

    public var method: Method
    /// `/api/v3/depth`.
    public var path: String
    /// Query parameters in order, not yet percent-encoded.
    public var query: [(name: String, value: String)]
    /// Binance request weight; 1 where an exchange counts requests.
    public var weight: Int
    /// The rate-limit group (WhiteBIT limits per endpoint template: `orderbook`, `v4`, `v1`).
    public var limitGroup: String
    public var headers: [Header]
    public var body: [UInt8]?

    public init(
        method: Method = .get, path: String, query: [(name: String, value: String)] = [], weight: Int = 1,
        limitGroup: String = "default", headers: [Header] = [], body: [UInt8]? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.weight = weight
        self.limitGroup = limitGroup
        self.headers = headers
        self.body = body
    }

    /// `k=v&k2=v2`, percent-encoded (RFC 3986 unreserved characters kept), in the given order: what
    /// signatures cover.
    public var encodedQuery: String {
        query.map { "\(Self.percentEncode($0.name))=\(Self.percentEncode($0.value))" }.joined(separator: "&")
    }

    /// Path plus `?query` when there is one.
    public var pathAndQuery: String {
        query.isEmpty ? path : path + "?" + encodedQuery
    }

    /// `GET /api/v3/depth?symbol=BTCUSDT&limit=5000` (no headers, so no secrets).
    public var description: String { "\(method.rawValue) \(pathAndQuery)" }

    public static func percentEncode(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func == (lhs: RESTRequest, rhs: RESTRequest) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.encodedQuery == rhs.encodedQuery
            && lhs.weight == rhs.weight && lhs.limitGroup == rhs.limitGroup && lhs.headers == rhs.headers
            && lhs.body == rhs.body
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(path)
        hasher.combine(encodedQuery)
        hasher.combine(body)
    }
}
