import CryptodModel
import NIOCore

/// Reads primitive fields from one frame's payload, throwing ``WireError`` instead of trapping or
/// returning partial values. Every read checks the remaining length first; array counts are checked
/// against the bytes left before any storage is reserved, so a hostile count cannot allocate.
public struct WireReader {
    public var buffer: ByteBuffer
    let type: MessageType
    let length: Int

    public init(payload: ByteBuffer, type: MessageType) {
        self.buffer = payload
        self.type = type
        self.length = payload.readableBytes
    }

    func error(_ code: WireError.Code, _ detail: String, debug: String = "") -> WireError {
        WireError(code, rawType: type.rawValue, length: length, detail: detail, debugDetail: debug)
    }

    /// Throws `invalidValue` for a decoded message that breaks a rule of its type. Decoders and
    /// ``Message/validate()`` share the rules, so the encoder never writes what the decoder rejects.
    func check(_ violation: Violation?) throws {
        if let violation { throw error(.invalidValue, violation.detail, debug: violation.debugDetail) }
    }

    mutating func integer<T: FixedWidthInteger>(_ field: StaticString, as: T.Type = T.self) throws -> T {
        guard let value = buffer.readInteger(endianness: .big, as: T.self) else {
            throw error(.truncated, "field \(field)")
        }
        return value
    }

    public mutating func u8(_ field: StaticString) throws -> UInt8 { try integer(field) }
    public mutating func u16(_ field: StaticString) throws -> UInt16 { try integer(field) }
    public mutating func u32(_ field: StaticString) throws -> UInt32 { try integer(field) }
    public mutating func u64(_ field: StaticString) throws -> UInt64 { try integer(field) }
    public mutating func i32(_ field: StaticString) throws -> Int32 { try integer(field) }
    public mutating func i64(_ field: StaticString) throws -> Int64 { try integer(field) }

    public mutating func bool(_ field: StaticString) throws -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let other: throw error(.invalidValue, "field \(field): boolean byte not 0 or 1", debug: "byte \(other)")
        }
    }

    /// `u16` length then UTF-8 bytes.
    public mutating func string(_ field: StaticString) throws -> String {
        let count = Int(try u16(field))
        return try utf8(field, count: count)
    }

    /// `u32` length then UTF-8 bytes, for long texts (configuration, metrics exposition).
    public mutating func text(_ field: StaticString) throws -> String {
        let count = Int(try u32(field))
        return try utf8(field, count: count)
    }

    private mutating func utf8(_ field: StaticString, count: Int) throws -> String {
        guard count <= buffer.readableBytes else { throw error(.truncated, "field \(field): \(count) bytes of text") }
        let slice = buffer.readSlice(length: count)!
        let string = slice.withUnsafeReadableBytes { raw -> String? in
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            // Symbols, ids and names are ASCII, which is valid UTF-8 as it stands; `String(validating:)` goes
            // through a generic, unspecialised validator that cost more than the rest of a trade's decoding.
            if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            return String(validating: bytes, as: UTF8.self)
        }
        guard let string else { throw error(.invalidValue, "field \(field): invalid UTF-8") }
        return string
    }

    public mutating func timestamp(_ field: StaticString) throws -> Timestamp {
        Timestamp(nanoseconds: try i64(field))
    }

    /// `u8` scale then the mantissa as a 16-byte big-endian two's-complement integer.
    public mutating func decimal(_ field: StaticString) throws -> ExactDecimal {
        guard buffer.readableBytes >= decimalSize else { throw error(.truncated, "field \(field)") }
        let (scale, bits) = buffer.readWithUnsafeReadableBytes { bytes in
            let fields = (
                bytes.load(fromByteOffset: 0, as: UInt8.self),
                UInt128(bigEndian: bytes.loadUnaligned(fromByteOffset: 1, as: UInt128.self))
            )
            return (decimalSize, fields)
        }
        let mantissa = Int128(truncatingIfNeeded: bits)
        guard let value = ExactDecimal(mantissa: mantissa, scale: scale) else {
            throw error(
                .invalidValue, "field \(field): decimal out of range (scale over 38 or mantissa of 39+ digits)",
                debug: "scale \(scale)")
        }
        return value
    }

    /// `u8` presence (0 or 1) then the value.
    public mutating func optional<T>(_ field: StaticString, _ read: (inout WireReader) throws -> T) throws -> T? {
        try bool(field) ? try read(&self) : nil
    }

    /// `u32` count then the elements. `minimumElementSize` bounds the count by the bytes left.
    public mutating func array<T>(
        _ field: StaticString, minimumElementSize: Int, _ read: (inout WireReader) throws -> T
    ) throws -> [T] {
        let count = Int(try u32(field))
        guard count <= buffer.readableBytes / max(minimumElementSize, 1) else {
            throw error(.truncated, "field \(field): \(count) elements cannot fit in \(buffer.readableBytes) bytes")
        }
        var values: [T] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try read(&self)) }
        return values
    }

    public mutating func enumeration<T: RawRepresentable>(_ field: StaticString, as: T.Type) throws -> T
    where T.RawValue == UInt8 {
        let raw = try u8(field)
        guard let value = T(rawValue: raw) else {
            throw error(.invalidValue, "field \(field): unknown \(T.self) raw value", debug: "raw value \(raw)")
        }
        return value
    }

    public mutating func exchange(_ field: StaticString) throws -> ExchangeID {
        let raw = try string(field)
        guard let id = ExchangeID(raw) else { throw error(.invalidValue, "field \(field): invalid exchange id") }
        return id
    }

    public mutating func market(_ field: StaticString) throws -> MarketKey {
        let exchange = try exchange(field)
        let type = try enumeration(field, as: MarketType.self)
        let symbol = try string(field)
        guard !symbol.isEmpty else { throw error(.invalidValue, "field \(field): empty symbol") }
        return MarketKey(exchange: exchange, type: type, symbol: symbol)
    }

    /// Throws unless every payload byte was consumed: a message must match its length exactly.
    public func finish() throws {
        guard buffer.readableBytes == 0 else {
            throw error(.trailingBytes, "\(buffer.readableBytes) bytes left over")
        }
    }
}

/// Writing the same primitives, mirroring ``WireReader``.
extension ByteBuffer {
    public mutating func wireWrite(_ value: Bool) { writeInteger(UInt8(value ? 1 : 0)) }
    public mutating func wireWrite<T: FixedWidthInteger>(_ value: T) { writeInteger(value, endianness: .big) }

    /// `u16` length then UTF-8; longer strings are a programming error (use ``wireWriteText(_:)``).
    public mutating func wireWriteString(_ value: String) {
        let count = value.utf8.count
        precondition(count <= Int(UInt16.max), "wire string longer than 65535 bytes; use wireWriteText")
        writeInteger(UInt16(count), endianness: .big)
        writeString(value)
    }

    public mutating func wireWriteText(_ value: String) {
        writeInteger(UInt32(value.utf8.count), endianness: .big)
        writeString(value)
    }

    public mutating func wireWrite(_ value: Timestamp) { writeInteger(value.nanoseconds, endianness: .big) }

    /// `u8` scale then the mantissa as a 16-byte big-endian two's-complement integer.
    public mutating func wireWrite(_ value: ExactDecimal) {
        // One 17-byte store instead of three integer writes: decimals dominate market-data payloads.
        writeWithUnsafeMutableBytes(minimumWritableBytes: decimalSize) { bytes in
            bytes.storeWireDecimal(value, at: 0)
            return decimalSize
        }
    }

    public mutating func wireWriteOptional<T>(_ value: T?, _ write: (inout ByteBuffer, T) -> Void) {
        if let value {
            writeInteger(UInt8(1))
            write(&self, value)
        } else {
            writeInteger(UInt8(0))
        }
    }

    public mutating func wireWriteArray<T>(_ values: [T], _ write: (inout ByteBuffer, T) -> Void) {
        writeInteger(UInt32(values.count), endianness: .big)
        for value in values { write(&self, value) }
    }

    public mutating func wireWrite(_ market: MarketKey) {
        wireWriteString(market.exchange.rawValue)
        writeInteger(market.type.rawValue)
        wireWriteString(market.symbol)
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Stores a decimal's 17 wire bytes at `offset`, for encoders that write fixed-size runs in one go.
    func storeWireDecimal(_ value: ExactDecimal, at offset: Int) {
        storeBytes(of: value.scale, toByteOffset: offset, as: UInt8.self)
        storeBytes(
            of: UInt128(truncatingIfNeeded: value.mantissa).bigEndian, toByteOffset: offset + 1, as: UInt128.self)
    }

    /// Stores a timestamp's 8 wire bytes (big-endian nanoseconds) at `offset`.
    func storeWireTimestamp(_ value: Timestamp, at offset: Int) {
        storeBytes(of: value.nanoseconds.bigEndian, toByteOffset: offset, as: Int64.self)
    }
}
