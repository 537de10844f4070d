import NIOCore

/// Hex text for golden files and failure messages.
enum Hex {
    static func string(_ bytes: some Sequence<UInt8>, separator: String = "") -> String {
        bytes.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined(separator: separator)
    }

    /// Bytes from hex text, ignoring whitespace and `#` comment lines; `nil` on anything else.
    static func bytes(_ text: String) -> [UInt8]? {
        var digits: [UInt8] = []
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            for character in line where !character.isWhitespace {
                guard let value = character.hexDigitValue else { return nil }
                digits.append(UInt8(value))
            }
        }
        guard digits.count.isMultiple(of: 2) else { return nil }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }
}
