import CryptodModel
import CryptodWire
import Foundation
import NIOCore
import Testing

/// Golden bytes: each type's canonical sample, encoded as a full frame, is stored as hex in `Golden/`.
///
/// A failure means an encoding changed. That is a protocol change: bump `WireProtocol.version`, note it in
/// docs/protocol.md's version history, then regenerate with `CRYPTOD_UPDATE_GOLDEN=1 swift test --filter Golden`.
@Suite("Golden")
struct GoldenTests {
    static let updating = ProcessInfo.processInfo.environment["CRYPTOD_UPDATE_GOLDEN"] == "1"

    /// The checked-in directory; regeneration writes here, never to the bundle's copy.
    static let sourceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden")

    static let changedMessage =
        "an encoding changed — bump WireProtocol.version, note it in docs/protocol.md, then regenerate with "
        + "CRYPTOD_UPDATE_GOLDEN=1 swift test --filter Golden"

    /// The stored text: the source tree's (current right after a regeneration, when the bundle's copy may
    /// not have been refreshed yet), else the copy the build put in the test bundle.
    static func storedText(_ type: MessageType) -> String? {
        let name = "\(type).hex"
        let bundled = Bundle.module.resourceURL?.appendingPathComponent("Golden").appendingPathComponent(name)
        for url in [sourceDirectory.appendingPathComponent(name), bundled].compactMap({ $0 }) {
            if let text = try? String(contentsOf: url, encoding: .utf8) { return text }
        }
        return nil
    }

    /// The file text: a comment naming the frame, the header split into its fields, the payload 16 bytes a line.
    static func render(_ type: MessageType, _ bytes: [UInt8]) -> String {
        let header = bytes.prefix(WireProtocol.headerSize)
        let payload = bytes.dropFirst(WireProtocol.headerSize)
        var text = "# \(type) (0x\(Hex.string([UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xFF)]))), "
        text +=
            "protocol version \(WireProtocol.version): the canonical sample from "
            + "Tests/CryptodWireTests/Support/Samples.swift\n"
        text += "# header: type flags length seq\n"
        text +=
            [header.prefix(2), header.dropFirst(2).prefix(2), header.dropFirst(4).prefix(4), header.dropFirst(8)]
            .map { Hex.string($0) }.joined(separator: " ") + "\n"
        text += "# payload: \(payload.count) bytes\n"
        var line = payload[...]
        while !line.isEmpty {
            text += Hex.string(line.prefix(16), separator: " ") + "\n"
            line = line.dropFirst(16)
        }
        return text
    }

    @Test("every type's canonical frame matches its golden file", arguments: MessageType.allCases)
    func golden(_ type: MessageType) throws {
        let sample = try #require(Samples.byType[type], "no sample for \(type)")
        let bytes = Hex.bytes(Samples.frameBytes(sample))
        if Self.updating {
            try FileManager.default.createDirectory(at: Self.sourceDirectory, withIntermediateDirectories: true)
            let url = Self.sourceDirectory.appendingPathComponent("\(type).hex")
            try Self.render(type, bytes).write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let text = Self.storedText(type) else {
            Issue.record("no golden file Golden/\(type).hex: for a new type, \(Self.changedMessage)")
            return
        }
        let stored = try #require(Hex.bytes(text), "Golden/\(type).hex is not hex")
        if stored != bytes {
            let offset =
                zip(stored, bytes).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(stored.count, bytes.count)
            let place =
                offset < WireProtocol.headerSize ? "header" : "payload byte \(offset - WireProtocol.headerSize)"
            Issue.record(
                """
                \(type): \(Self.changedMessage).
                First difference at byte \(offset) (\(place)); stored \(stored.count) bytes, now \(bytes.count).
                """)
        }

        // The other direction: the stored bytes still decode to the sample, so old peers' frames still read.
        var buffer = ByteBuffer(bytes: stored)
        let frame = try #require(try Frame.read(from: &buffer, maxPayload: WireProtocol.defaultMaxFrameBytes))
        #expect(buffer.readableBytes == 0)
        #expect(try Message(frame: frame) == sample, "Golden/\(type).hex no longer decodes to the sample")
    }

    @Test("no golden file is left over from a removed type")
    func noStrayFiles() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.sourceDirectory.path)
            .filter { $0.hasSuffix(".hex") }
        let known = Set(MessageType.allCases.map { "\($0).hex" })
        for name in names { #expect(known.contains(name), "Golden/\(name) names no message type") }
        if !Self.updating { #expect(names.count == known.count) }
    }
}
