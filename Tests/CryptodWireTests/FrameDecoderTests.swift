import CryptodModel
import CryptodWire
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@Suite("FrameDecoder in a pipeline")
struct FrameDecoderTests {
    static var frames: [Frame] {
        Samples.all.map { Frame($0, sequence: Samples.sequence(for: $0.type)) }
    }

    static func bytes(_ frames: [Frame]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for frame in frames { frame.write(to: &buffer) }
        return buffer
    }

    @Test("NIOTestUtils' ByteToMessageDecoderVerifier accepts the decoder")
    func verifier() throws {
        var pairs = Self.frames.map { (Self.bytes([$0]), [$0]) }
        pairs.append((Self.bytes(Array(Self.frames.prefix(3))), Array(Self.frames.prefix(3))))
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { FrameDecoder() }
    }

    /// Feeds `input` in the given chunk sizes; returns the frames and, per frame, how many bytes had been
    /// written when it came out.
    static func feed(_ input: ByteBuffer, chunks: [Int]) throws -> (frames: [Frame], emittedAt: [Int]) {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        var input = input
        var frames: [Frame] = []
        var emittedAt: [Int] = []
        var written = 0
        for size in chunks {
            let chunk = input.readSlice(length: size)!
            written += size
            try channel.writeInbound(chunk)
            while let frame = try channel.readInbound(as: Frame.self) {
                frames.append(frame)
                emittedAt.append(written)
            }
        }
        #expect(input.readableBytes == 0)
        #expect(try channel.finish().isClean)
        return (frames, emittedAt)
    }

    @Test("drip-fed one byte at a time, each frame comes out with its last byte")
    func dripFeed() throws {
        let input = Self.bytes(Self.frames)
        let (frames, emittedAt) = try Self.feed(input, chunks: Array(repeating: 1, count: input.readableBytes))
        #expect(frames == Self.frames)
        var end = 0
        let ends = Self.frames.map { frame in
            end += frame.encodedSize
            return end
        }
        #expect(emittedAt == ends)
    }

    @Test("random chunkings give the same frames")
    func randomChunks() throws {
        let seed = SeededRandom.propertySeed
        var random = SeededRandom(seed: seed ^ 0xC4)
        let input = Self.bytes(Self.frames + Self.frames)
        for iteration in 0..<60 {
            var chunks: [Int] = []
            var left = input.readableBytes
            let largest = [2, 17, 64, 600, input.readableBytes].randomElement(using: &random)!
            while left > 0 {
                let size = Int.random(in: 1...min(left, largest), using: &random)
                chunks.append(size)
                left -= size
            }
            let (frames, _) = try Self.feed(input, chunks: chunks)
            #expect(frames == Self.frames + Self.frames, "seed \(seed), #\(iteration)")
        }
    }

    @Test("EOF inside a frame's payload is a truncated error naming the frame")
    func eofInsidePayload() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        let trades = Self.bytes([Frame(Samples.byType[.trades]!, sequence: 7)])
        try channel.writeInbound(trades.getSlice(at: 0, length: trades.readableBytes - 1)!)
        #expect(try channel.readInbound(as: Frame.self) == nil)
        let error = #expect(throws: WireError.self) { _ = try channel.finish() }
        #expect(error?.code == .truncated)
        #expect(error?.rawType == MessageType.trades.rawValue)
        #expect(error?.length == trades.readableBytes - WireProtocol.headerSize)
    }

    @Test("EOF inside a header is a truncated error too")
    func eofInsideHeader() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        var input = Self.bytes([Self.frames[0]])
        input.writeBytes([0x01, 0x02, 0x00])
        try channel.writeInbound(input)
        #expect(try channel.readInbound(as: Frame.self) == Self.frames[0])
        let error = #expect(throws: WireError.self) { _ = try channel.finish() }
        #expect(error?.code == .truncated)
        #expect(error?.rawType == nil)
    }

    @Test("half-closed input inside a frame is truncated as well")
    func inputClosed() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        try channel.writeInbound(rawHeader(type: 0x0001, flags: 0, length: 10, sequence: 0))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        let error = #expect(throws: WireError.self) { try channel.throwIfErrorCaught() }
        #expect(error?.code == .truncated)
        _ = try? channel.finish()
    }

    @Test("a clean EOF between frames is no error")
    func cleanEOF() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        try channel.writeInbound(Self.bytes(Self.frames))
        for expected in Self.frames { #expect(try channel.readInbound(as: Frame.self) == expected) }
        #expect(try channel.finish().isClean)
    }

    @Test("an oversize header fails the pipeline as soon as its 16 bytes arrive")
    func oversizeInPipeline() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maxPayload: 1 << 20)))
        let error = #expect(throws: WireError.self) {
            try channel.writeInbound(rawHeader(type: 0x0102, flags: 1, length: 0x8000_0000, sequence: 1))
        }
        #expect(error?.code == .frameTooLarge)
        _ = try? channel.finish()
    }

    @Test("FrameEncoder in a pipeline writes what FrameDecoder reads")
    func encoderToDecoder() throws {
        let sender = EmbeddedChannel(handler: MessageToByteHandler(FrameEncoder()))
        let receiver = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        for frame in Self.frames {
            try sender.writeOutbound(frame)
            while let bytes = try sender.readOutbound(as: ByteBuffer.self) { try receiver.writeInbound(bytes) }
        }
        var received: [Frame] = []
        while let frame = try receiver.readInbound(as: Frame.self) { received.append(frame) }
        #expect(received == Self.frames)
        #expect(try sender.finish().isClean)
        #expect(try receiver.finish().isClean)
    }
}
