import CryptodModel
import CryptodWire
import NIOCore
import Testing

/// Checks what a link would log: the type (number and name) and the length, and nothing of the payload.
func checkDescription(
    _ error: WireError, rawType: UInt16, length: Int, payload: [UInt8],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let text = error.description
    let number = String(rawType, radix: 16)
    let typeText = "type 0x" + String(repeating: "0", count: 4 - number.count) + number
    let name = MessageType(rawValue: rawType).map { " (\($0))" } ?? ""
    #expect(text.contains(typeText + name), "\(text) does not name the type", sourceLocation: sourceLocation)
    #expect(text.contains("length \(length)"), "\(text) does not give the length", sourceLocation: sourceLocation)
    for marker in ["SECRET", "hunter2"] {
        #expect(!text.contains(marker), "\(text) leaks payload text", sourceLocation: sourceLocation)
        #expect(
            !error.debugDescription.contains(marker), "debugDescription leaks payload text",
            sourceLocation: sourceLocation)
    }
    // No run of six payload bytes appears in hex either.
    if payload.count >= 6 {
        for start in 0...(payload.count - 6) {
            let window = Hex.string(payload[start..<(start + 6)])
            if text.lowercased().contains(window) {
                Issue.record("\(text) contains payload bytes \(window)", sourceLocation: sourceLocation)
                return
            }
        }
    }
}

/// Decodes `payload` as `type` and expects a ``WireError`` with `code` whose description is safe to log.
@discardableResult
func expectRejected(
    _ type: MessageType, _ payload: ByteBuffer, _ code: WireError.Code,
    sourceLocation: SourceLocation = #_sourceLocation
) -> WireError? {
    do {
        _ = try Message(type: type, payload: payload)
        Issue.record("\(type): payload of \(payload.readableBytes) bytes was accepted", sourceLocation: sourceLocation)
        return nil
    } catch let error as WireError {
        #expect(error.code == code, "\(type): \(error.debugDescription)", sourceLocation: sourceLocation)
        checkDescription(
            error, rawType: type.rawValue, length: payload.readableBytes, payload: Hex.bytes(payload),
            sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("\(type): threw \(error), not a WireError", sourceLocation: sourceLocation)
        return nil
    }
}

/// Reads a frame from `bytes` and expects a header error with `code`, with the reader index unmoved.
@discardableResult
func expectHeaderRejected(
    _ bytes: ByteBuffer, _ code: WireError.Code, maxPayload: Int = WireProtocol.defaultMaxFrameBytes,
    sourceLocation: SourceLocation = #_sourceLocation
) -> WireError? {
    var buffer = bytes
    do {
        let frame = try Frame.read(from: &buffer, maxPayload: maxPayload)
        Issue.record("header accepted: \(String(describing: frame?.header))", sourceLocation: sourceLocation)
        return nil
    } catch {
        // Frame.read throws WireError only (typed throws).
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(buffer.readerIndex == bytes.readerIndex, "reader index moved", sourceLocation: sourceLocation)
        let rawType = bytes.getInteger(at: bytes.readerIndex, endianness: .big, as: UInt16.self)!
        let length = bytes.getInteger(at: bytes.readerIndex + 4, endianness: .big, as: UInt32.self)!
        checkDescription(error, rawType: rawType, length: Int(length), payload: [], sourceLocation: sourceLocation)
        return error
    }
}

/// A raw 16-byte header, valid or not.
func rawHeader(type: UInt16, flags: UInt16, length: UInt32, sequence: UInt64) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.writeInteger(type, endianness: .big)
    buffer.writeInteger(flags, endianness: .big)
    buffer.writeInteger(length, endianness: .big)
    buffer.writeInteger(sequence, endianness: .big)
    return buffer
}

/// Raw payload builders for malformed fields the typed encoders refuse to write.
extension ByteBuffer {
    mutating func rawString(_ bytes: [UInt8]) {
        writeInteger(UInt16(bytes.count), endianness: .big)
        writeBytes(bytes)
    }

    mutating func rawDecimal(scale: UInt8, mantissa: Int128) {
        writeInteger(scale)
        let bits = UInt128(truncatingIfNeeded: mantissa)
        writeInteger(UInt64(truncatingIfNeeded: bits >> 64), endianness: .big)
        writeInteger(UInt64(truncatingIfNeeded: bits), endianness: .big)
    }

    mutating func rawMarket(exchange: String = "binance", type: UInt8 = 1, symbol: String = "BTCUSDT") {
        rawString(Array(exchange.utf8))
        writeInteger(type)
        rawString(Array(symbol.utf8))
    }
}
