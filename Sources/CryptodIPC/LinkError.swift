import CryptodWire

/// Why a link ended or refused to start. Wire-level violations travel as ``WireError`` instead.
package enum LinkError: Error, Sendable, CustomStringConvertible {
    case peerSilent(milliseconds: Int64)
    case handshakeTimeout
    case handshakeFailed(String)
    case versionMismatch(peerMinimum: UInt16, peerVersion: UInt16, message: String)
    case unexpectedPeer(String)
    case protocolViolation(String)
    case closedByPeer(Goodbye)
    case replaced(stream: String)
    case socketInUse(path: String)
    case socketPath(path: String, reason: String)

    package var description: String {
        switch self {
        case .peerSilent(let ms):
            "peer sent nothing for \(ms) ms (heartbeat timeout); closing the link, it will be re-established"
        case .handshakeTimeout:
            "peer did not complete the hello handshake in time; is something other than a cryptod process on this socket?"
        case .handshakeFailed(let detail):
            "handshake failed: \(detail)"
        case .versionMismatch(let minimum, let version, let message):
            "peer speaks protocol versions \(minimum)...\(version), this build \(WireProtocol.minimumVersion)...\(WireProtocol.version)"
                + (message.isEmpty ? "" : " (\(message))") + "; run the same cryptod build on both sides"
        case .unexpectedPeer(let detail):
            "unexpected peer: \(detail)"
        case .protocolViolation(let detail):
            "protocol violation: \(detail)"
        case .closedByPeer(let goodbye):
            "peer closed the link (\(goodbye.reason)): \(goodbye.message)"
        case .replaced(let stream):
            "stream \(stream) was resumed on a newer link; closing this one"
        case .socketInUse(let path):
            "another process is already listening on \(path); stop it first (or point runtime_dir elsewhere)"
        case .socketPath(let path, let reason):
            "cannot use socket path \(path): \(reason)"
        }
    }
}
