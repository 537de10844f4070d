import CryptodIPC
import CryptodModel
import CryptodWire
import Foundation
import Logging
import NIOCore

/// Sends one control request to the first of several sockets that answers.
package struct ControlClient: Sendable {
    package var sockets: [ControlSocket]
    /// Why some configured sources gave no socket; repeated when nothing answers.
    package var notes: [String]
    package var timeout: Duration

    package init(sockets: [ControlSocket], notes: [String] = [], timeout: Duration) {
        self.sockets = sockets
        self.notes = notes
        self.timeout = timeout
    }

    /// cryptoctl's side of the hello handshake.
    static let identity = LinkIdentity(role: .control, name: "cryptoctl")

    /// Sends `request` and returns the reply and the socket that gave it.
    /// - Throws: ``Unreachable`` listing every socket tried and why it failed.
    package func send(
        _ request: ControlRequest
    ) async throws(Unreachable) -> (reply: ControlReply, socket: ControlSocket) {
        // cryptoctl's output is its answer; link-level logs would only clutter it.
        let logger = Logger(label: "cryptoctl") { _ in SwiftLogNoOpLogHandler() }
        var attempts: [Unreachable.Attempt] = []
        for socket in sockets {
            guard FileManager.default.fileExists(atPath: socket.path) else {
                attempts.append(.init(socket: socket, reason: "no such socket"))
                continue
            }
            do {
                let answer = try await LinkClient.request(
                    .controlRequest(request), path: socket.path, identity: Self.identity, timeout: timeout,
                    logger: logger)
                guard case .controlReply(let reply) = answer else {
                    attempts.append(
                        .init(
                            socket: socket,
                            reason:
                                "answered with \(answer.type) instead of a control reply; is this a cryptod control socket?"
                        ))
                    continue
                }
                return (reply, socket)
            } catch {
                attempts.append(.init(socket: socket, reason: Self.explain(error, timeout: timeout)))
            }
        }
        throw Unreachable(attempts: attempts, notes: notes)
    }

    /// Why a connection failed, in the operator's terms.
    static func explain(_ error: any Error, timeout: Duration) -> String {
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return "nothing is listening (a stale socket: cryptod is not running, or was killed)"
            case EACCES, EPERM:
                return "permission denied; run cryptoctl as the user cryptod runs as (sudo -u cryptod cryptoctl …)"
            case ENOENT: return "no such socket"
            default: return String(cString: strerror(error.errnoCode))
            }
        }
        if let error = error as? LinkError {
            switch error {
            case .handshakeTimeout:
                return "no reply within \(timeout) (is cryptod hung? see its logs; --timeout waits longer)"
            case .closedByPeer(let goodbye): return "the daemon refused the request: \(goodbye.message)"
            default: return error.description
            }
        }
        return "\(error)"
    }
}

/// No socket answered; the description lists each one tried and how to point cryptoctl at the daemon.
package struct Unreachable: Error, Sendable, CustomStringConvertible {
    package struct Attempt: Sendable, Hashable {
        package var socket: ControlSocket
        package var reason: String
    }

    package var attempts: [Attempt]
    package var notes: [String]

    package var description: String {
        var lines = ["cannot reach cryptod; tried:"]
        lines += attempts.map { "  \($0.socket.path) (\($0.socket.origin)): \($0.reason)" }
        if attempts.isEmpty { lines[0] = "cannot reach cryptod: no control socket to try" }
        lines += notes.map { "  not usable: \($0)" }
        lines.append(
            "Is cryptod running? Point cryptoctl at it with --socket PATH (its <runtime_dir>/control.sock), "
                + "CRYPTOD_CONTROL_SOCKET=PATH, or --config FILE / CRYPTOD_CONFIG=FILE (the daemon's configuration).")
        return lines.joined(separator: "\n")
    }
}
