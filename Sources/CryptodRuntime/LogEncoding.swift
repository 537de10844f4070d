import Logging

/// Byte-level encoding shared by ``JSONLogHandler`` and ``TextLogHandler``: JSON strings and metadata values,
/// merged metadata, and the last-resort redaction of secret-looking keys.
///
/// ## Secrets
///
/// Secrets are redacted **at source**: API keys and passwords only ever live in `SecretString`
/// (CryptodConfig), whose `description`, `debugDescription` and reflection all print `<redacted>`. Whatever
/// path a secret takes into metadata (`"\(secret)"`, `.stringConvertible(secret)`, a struct holding one), it
/// is rendered as `<redacted>` before it reaches this encoder. As a second line of defence, the encoder also
/// replaces the value of any metadata key that names a secret (``isSecretKey(_:)``), at any nesting depth.
enum LogEncoding {
    /// What a redacted value is replaced with; the same text `SecretString` prints.
    static let redacted = "<redacted>"

    /// Key fragments that mark a value as secret (compared case-insensitively, `-` and `_` ignored).
    static let secretKeyFragments = ["secret", "password", "passwd", "apikey", "authorization", "privatekey", "token"]

    /// True when a metadata key names a secret: `api_secret`, `apiKey`, `Authorization`, `db-password`, ….
    ///
    /// - Parameter key: A metadata key.
    /// - Returns: Whether its value must be replaced by ``redacted``.
    static func isSecretKey(_ key: String) -> Bool {
        let folded = String(key.lowercased().filter { $0 != "_" && $0 != "-" })
        return secretKeyFragments.contains { folded.contains($0) }
    }

    /// Handler metadata, then the provider's, then the call site's; later sources win on equal keys.
    static func merge(
        handler: Logger.Metadata, provider: Logger.MetadataProvider?, event: Logger.Metadata?
    ) -> Logger.Metadata {
        var merged = handler
        if let provided = provider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let event, !event.isEmpty {
            merged.merge(event) { _, new in new }
        }
        return merged
    }

    // MARK: - JSON

    /// Appends `text` as a JSON string literal, quotes included.
    ///
    /// Escapes `"`, `\` and every control character below U+0020; everything else, including non-ASCII, is
    /// copied as UTF-8 (valid JSON, and readable in `journalctl`). U+2028 and U+2029 are escaped too, so a
    /// line can be pasted into JavaScript.
    static func appendJSONString(_ text: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var bytes = text.utf8.makeIterator()
        while let byte = bytes.next() {
            switch byte {
            case UInt8(ascii: "\""): buffer.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: buffer.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: buffer.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: buffer.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: buffer.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: buffer.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x00..<0x20: appendUnicodeEscape(UInt16(byte), to: &buffer)
            case 0xE2:
                // U+2028 / U+2029 are E2 80 A8 / E2 80 A9 in UTF-8.
                let second = bytes.next()
                let third = second == nil ? nil : bytes.next()
                if second == 0x80, let third, third == 0xA8 || third == 0xA9 {
                    appendUnicodeEscape(third == 0xA8 ? 0x2028 : 0x2029, to: &buffer)
                } else {
                    buffer.append(byte)
                    if let second { buffer.append(second) }
                    if let third { buffer.append(third) }
                }
            default: buffer.append(byte)
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    private static func appendUnicodeEscape(_ value: UInt16, to buffer: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        buffer.append(contentsOf: [0x5C, UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) {
            buffer.append(hex[Int((value >> UInt16(shift)) & 0xF)])
        }
    }

    /// Appends a metadata value as JSON: strings and string-convertibles as strings, arrays as arrays,
    /// dictionaries as objects with sorted keys (so equal metadata always gives equal lines).
    static func appendJSONValue(_ value: Logger.MetadataValue, to buffer: inout [UInt8]) {
        switch value {
        case .string(let text):
            appendJSONString(text, to: &buffer)
        case .stringConvertible(let convertible):
            appendJSONString(convertible.description, to: &buffer)
        case .array(let values):
            buffer.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: ",")) }
                appendJSONValue(element, to: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .dictionary(let metadata):
            appendJSONObject(metadata, to: &buffer)
        }
    }

    /// Appends metadata as a JSON object with sorted keys, redacting secret keys.
    static func appendJSONObject(_ metadata: Logger.Metadata, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "{"))
        for (index, key) in metadata.keys.sorted().enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            appendJSONString(key, to: &buffer)
            buffer.append(UInt8(ascii: ":"))
            if isSecretKey(key) {
                appendJSONString(redacted, to: &buffer)
            } else if let value = metadata[key] {
                appendJSONValue(value, to: &buffer)
            }
        }
        buffer.append(UInt8(ascii: "}"))
    }

    // MARK: - Text

    /// Appends a metadata value for the text format: plain strings bare when they are a single word, quoted
    /// JSON strings otherwise; arrays and dictionaries as JSON.
    static func appendTextValue(_ value: Logger.MetadataValue, to buffer: inout [UInt8]) {
        let text: String
        switch value {
        case .string(let string): text = string
        case .stringConvertible(let convertible): text = convertible.description
        case .array, .dictionary:
            appendJSONValue(value, to: &buffer)
            return
        }
        let isBare = !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 != UInt8(ascii: "\"") && $0 != 0x7F }
        if isBare {
            buffer.append(contentsOf: text.utf8)
        } else {
            appendJSONString(text, to: &buffer)
        }
    }
}
