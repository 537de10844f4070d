import CryptodIPC
import CryptodModel
import CryptodWire
import Foundation
import Logging
import NIOCore
import Synchronization

/// Two processes, one reliable stream: this process sends, a copy of itself started with `--receive SOCKET`
/// receives. Measures (1) live delivery, acknowledged end to end; (2) spilling while the receiver is down;
/// (3) replaying the spill once it is back. Prints frames/s and MB/s.
@main
struct IPCBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        if arguments.count >= 3, arguments[1] == "--receive" {
            try await receive(socket: arguments[2])
            return
        }
        let frames = arguments.count >= 2 ? Int(arguments[1]) ?? 500_000 : 500_000
        let root = "/tmp/ipcbench-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let socket = root + "/writer.sock"
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let payloadBytes = { () -> Int in
            var buffer = ByteBuffer(); Frame.write(trade(1), sequence: 1, to: &buffer); return buffer.readableBytes
        }()
        print(
            "reliable stream between two processes, \(frames) trade frames of \(payloadBytes) bytes (header included)")

        // 1. Live delivery.
        var receiver = try startReceiver(socket: socket)
        let settings = LinkSettings(memoryLimit: 256 << 20, spillLimit: 8 << 30)
        let sender = try ReliableSender(
            stream: "bench>writer", directory: root + "/live", settings: settings, logger: logger)
        let connector = LinkConnector(
            path: socket, identity: LinkIdentity(role: .tool, name: "bench"), settings: settings, logger: logger,
            expectedRole: ProcessRoleFilter(.writer))
        var link = Task { try await connector.run(endpoint: LinkEndpoint(outbound: sender)) }
        var started = ContinuousClock.now
        for index in 0..<frames {
            try sender.send(trade(index))
            // Keep the in-memory window bounded like a real producer with a steady rate would.
            if index % 10_000 == 0 {
                while sender.stats.memoryBytes > 128 << 20 { try await Task.sleep(for: .milliseconds(1)) }
            }
        }
        while sender.stats.ackedThrough < UInt64(frames) { try await Task.sleep(for: .milliseconds(1)) }
        report("live, acknowledged", frames: frames, bytes: frames * payloadBytes, since: started)

        // 2. Receiver down: everything beyond a 4 MiB memory window spills to disk.
        link.cancel()
        _ = await link.result
        receiver.terminate()
        receiver.waitUntilExit()
        let spillSettings = LinkSettings(memoryLimit: 4 << 20, spillLimit: 8 << 30)
        let spilling = try ReliableSender(
            stream: "bench>writer", directory: root + "/spill", settings: spillSettings, logger: logger)
        started = ContinuousClock.now
        for index in 0..<frames { try spilling.send(trade(index)) }
        report(
            "queued while the receiver is down (spilled: \(spilling.stats.spillFrames))", frames: frames,
            bytes: frames * payloadBytes, since: started)

        // 3. Receiver back: replay from disk.
        receiver = try startReceiver(socket: socket)
        let replayConnector = LinkConnector(
            path: socket, identity: LinkIdentity(role: .tool, name: "bench"), settings: spillSettings, logger: logger,
            expectedRole: ProcessRoleFilter(.writer))
        started = ContinuousClock.now
        link = Task { try await replayConnector.run(endpoint: LinkEndpoint(outbound: spilling)) }
        while spilling.stats.ackedThrough < UInt64(frames) { try await Task.sleep(for: .milliseconds(1)) }
        report("replayed from the spill, acknowledged", frames: frames, bytes: frames * payloadBytes, since: started)
        link.cancel()
        _ = await link.result
        receiver.terminate()
        receiver.waitUntilExit()
    }

    static func report(_ what: String, frames: Int, bytes: Int, since: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - since
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(frames) / seconds
        let megabytes = Double(bytes) / seconds / 1_000_000
        print(String(format: "  %-60@ %10.0f frames/s  %7.1f MB/s", what as NSString, rate, megabytes))
    }

    static func trade(_ index: Int) -> Message {
        let market = MarketKey(exchange: .binance, symbol: "BTCUSDT")
        return .trades([
            Trade(
                market: market, id: String(index),
                price: ExactDecimal(mantissa: Int128(6_500_000 + index % 1000), scale: 2)!,
                quantity: "0.00100000", side: .buy, time: Timestamp(milliseconds: 1_700_000_000_000 + Int64(index)),
                receivedAt: Timestamp(milliseconds: 1_700_000_000_000 + Int64(index)))
        ])
    }

    static func startReceiver(socket: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["--receive", socket]
        try process.run()
        while !FileManager.default.fileExists(atPath: socket) { usleep(1000) }
        return process
    }

    /// The receiving process: a listener and a consumer that only counts (the cost measured is the link's).
    static func receive(socket: String) async throws {
        var logger = Logger(label: "bench-receiver")
        logger.logLevel = .error
        let receiver = StreamReceiver(name: "writer", consumer: CountingConsumer(), logger: logger)
        let listener = LinkListener(
            path: socket, identity: LinkIdentity(role: .writer, name: "writer"), settings: LinkSettings(),
            logger: logger)
        try await listener.run { _ in LinkEndpoint(inbound: receiver) }
    }
}

final class CountingConsumer: StreamConsumer {
    let count = Mutex(0)
    func position(of stream: String) async throws -> StreamPosition? { nil }
    func consume(_ delivery: StreamDelivery) async throws { count.withLock { $0 += delivery.items.count } }
}
