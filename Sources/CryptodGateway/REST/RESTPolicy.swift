import CryptodConfig
import Synchronization

/// The REST settings a reload may change (`gateway.admin_token`, `cors_origins`, `max_body`),
/// read by every request.
package final class RESTPolicy: Sendable {
    package struct Values: Sendable, Equatable {
        /// nil: admin routes are disabled.
        package var adminToken: SecretString?
        package var corsOrigins: [String]
        package var maxBody: Int

        package init(_ gateway: GatewayConfig) {
            adminToken = gateway.adminToken
            corsOrigins = gateway.corsOrigins
            maxBody = gateway.maxBody
        }
    }

    private let state: Mutex<Values>

    package init(_ values: Values) { state = Mutex(values) }

    package var values: Values {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    /// Whether `header` (an `Authorization` value) carries the admin token. Compares in time that depends only
    /// on the lengths, never on where the first difference is, so the token cannot be guessed byte by byte.
    package static func tokenMatches(_ header: String?, token: SecretString) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.utf8.dropFirst("Bearer ".utf8.count))
        let expected = Array(token.revealed.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in 0..<max(given.count, expected.count) {
            let a = index < given.count ? given[index] : 0
            let b = index < expected.count ? expected[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }
}
