extension ExchangeParseError {
    /// The same error with the field it happened in named first (`"p": expected decimal at byte 42`).
    public func inField(_ name: String) -> ExchangeParseError {
        ExchangeParseError(kind, "\"\(name)\": \(detail)")
    }

    /// A required field the message did not carry.
    public static func missing(_ name: String, in message: String) -> ExchangeParseError {
        ExchangeParseError(.missingField, "\(message): missing \"\(name)\"")
    }
}
