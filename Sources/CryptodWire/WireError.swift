/// A protocol violation or a malformed frame. Crosses module boundaries, so it is a struct with a code.
///
/// `description` names the message type, the length and the field, never payload contents (they may hold
/// secrets or be huge): it is what a link logs before closing. The offending field values, when there are
/// any worth showing (an enum's raw value, a pair of update ids), go to `debugDescription` only.
public struct WireError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Sendable, Hashable {
            case unknownMessageType, invalidFlags, frameTooLarge, invalidSequence, truncated, trailingBytes
            case invalidValue, versionMismatch, unexpectedMessage
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The type field names no message this version knows.
        public static let unknownMessageType = Code(.unknownMessageType)
        /// Reserved flag bits set, or the sequenced flag on the wrong kind of message.
        public static let invalidFlags = Code(.invalidFlags)
        /// The length field is over the link's limit.
        public static let frameTooLarge = Code(.frameTooLarge)
        /// A sequenced frame with seq 0, or an unsequenced one with a non-zero seq.
        public static let invalidSequence = Code(.invalidSequence)
        /// The payload ended before the message did.
        public static let truncated = Code(.truncated)
        /// The message ended before the payload did.
        public static let trailingBytes = Code(.trailingBytes)
        /// A field holds a value outside its domain (bad UTF-8, unknown enum raw value, bad decimal…).
        public static let invalidValue = Code(.invalidValue)
        /// The peers share no protocol version.
        public static let versionMismatch = Code(.versionMismatch)
        /// A well-formed message that is not allowed at this point of the conversation.
        public static let unexpectedMessage = Code(.unexpectedMessage)

        public var description: String {
            switch base {
            case .unknownMessageType: "unknown message type"
            case .invalidFlags: "invalid flags"
            case .frameTooLarge: "frame too large"
            case .invalidSequence: "invalid sequence number"
            case .truncated: "truncated payload"
            case .trailingBytes: "trailing bytes after message"
            case .invalidValue: "invalid field value"
            case .versionMismatch: "protocol version mismatch"
            case .unexpectedMessage: "unexpected message"
            }
        }
    }

    public var code: Code
    /// The raw type field of the offending frame, when known.
    public var rawType: UInt16?
    /// The payload length of the offending frame, when known.
    public var length: Int?
    /// What exactly was wrong (field name, limit); never payload contents.
    public var detail: String
    /// The offending values from the payload, for `debugDescription` only.
    public var debugDetail: String

    public init(_ code: Code, rawType: UInt16? = nil, length: Int? = nil, detail: String = "", debugDetail: String = "")
    {
        self.code = code
        self.rawType = rawType
        self.length = length
        self.detail = detail
        self.debugDetail = debugDetail
    }

    public var description: String {
        var text = "wire protocol violation: \(code)"
        if let rawType {
            let name = MessageType(rawValue: rawType).map { " (\($0))" } ?? ""
            text += ", type 0x" + String(rawType, radix: 16, uppercase: false).leftPadded(to: 4) + name
        }
        if let length { text += ", length \(length)" }
        if !detail.isEmpty { text += ": \(detail)" }
        return text
    }

    /// ``description`` plus the offending values; for debugging, not for routine logs.
    public var debugDescription: String {
        debugDetail.isEmpty ? description : description + " [" + debugDetail + "]"
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
