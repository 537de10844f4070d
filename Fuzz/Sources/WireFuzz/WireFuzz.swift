import CryptodModel
import CryptodWire
import NIOCore

// libFuzzer entry point (built with -sanitize=fuzzer,address -parse-as-library; see scripts/fuzz).
//
// The input is treated as a byte stream from a peer: frames are read off it one after another, as a link
// does, and every frame whose payload decodes is checked to be canonical. A crash, a sanitizer report or a
// failed precondition here is a bug; a thrown WireError is the expected answer to garbage.

/// A cap well under the default, so the fuzzer reaches the oversize branch with short inputs too.
let maxPayload = 1 << 20

@_cdecl("LLVMFuzzerTestOneInput")
public func wireFuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var stream = ByteBuffer(bytes: UnsafeRawBufferPointer(start: start, count: count))
    while true {
        let frame: Frame
        do {
            guard let next = try Frame.read(from: &stream, maxPayload: maxPayload) else { break }
            frame = next
        } catch {
            // A bad header: a link logs it and closes, so nothing after it is read either.
            _ = error.description
            break
        }
        checkFrame(frame)
    }
    return 0
}

/// Decodes `frame`; when that succeeds, re-encoding must give the same payload bytes and the same message.
func checkFrame(_ frame: Frame) {
    let message: Message
    do {
        message = try Message(frame: frame)
    } catch let error as WireError {
        // What a link would log: must not trap while being rendered.
        _ = error.description
        _ = error.debugDescription
        return
    } catch {
        fatalError("Message(frame:) threw a non-WireError: \(error)")
    }
    do {
        try message.validate()
    } catch {
        fatalError("decoded \(frame.type) fails validate(): \(error.debugDescription)")
    }

    var encoded = ByteBuffer()
    Frame.write(message, sequence: frame.sequence, to: &encoded)
    let reread: Frame
    do {
        guard let next = try Frame.read(from: &encoded, maxPayload: maxPayload) else {
            fatalError("re-encoded \(frame.type) frame is incomplete")
        }
        reread = next
    } catch {
        fatalError("re-encoded \(frame.type) header rejected: \(error)")
    }
    // The decoder accepts only canonical encodings, so the bytes must match, not just the values.
    precondition(encoded.readableBytes == 0, "re-encoded \(frame.type) frame has trailing bytes")
    precondition(reread.payload == frame.payload, "re-encoding \(frame.type) changed its payload bytes")
    let again: Message
    do {
        again = try Message(frame: reread)
    } catch {
        fatalError("re-encoded \(frame.type) does not decode: \(error)")
    }
    precondition(again == message, "re-encoded \(frame.type) decodes to a different message")
}
