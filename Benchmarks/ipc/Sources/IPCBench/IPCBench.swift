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
///
/// `--events [EVENTS]` measures market events instead, published as the ingestor's `MarketPublisher` does
/// (validated, encoded once, queued), one event per frame against adaptive batching (`marketBatch`), side by
/// side: events/s acknowledged end to end, frames used, and CPU seconds per million events of both processes.
@main
struct IPCBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        if arguments.count >= 3, arguments[1] == "--receive" {
            try await receive(socket: arguments[2])
            return
        }
        if arguments.count >= 2, arguments[1] == "--events" {
            try await events(count: arguments.count >= 3 ? Int(arguments[2]) ?? 2_000_000 : 2_000_000)
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

    // MARK: - Events

    static func events(count: Int) async throws {
        let root = "/tmp/ipcbench-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let socket = root + "/writer.sock"
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let mix = eventMix()
        let averageBytes = mix.reduce(0) { $0 + $1.payload.readableBytes } / mix.count
        print(
            "market events between two processes, \(count) events (70% single trades, 30% 1-3 level book deltas, "
                + "20 markets, \(averageBytes) payload bytes on average), acknowledged end to end")
        let receiver = try startReceiver(socket: socket)
        defer {
            receiver.terminate()
            receiver.waitUntilExit()
        }
        var results: [(String, EventRun)] = []
        // Alternating, so that a change in the machine's load does not favour one mode.
        for round in 1...2 {
            for (name, batchEvents) in [("one event per frame", 1), ("adaptive batching", 512)] {
                let settings = LinkSettings(memoryLimit: 256 << 20, spillLimit: 8 << 30, maxBatchEvents: batchEvents)
                let run = try await publish(
                    mix: mix, count: count / 2, settings: settings, socket: socket,
                    receiver: receiver.processIdentifier,
                    directory: root + "/\(batchEvents)-\(round)", name: "bench-\(batchEvents)-\(round)", logger: logger)
                results.append(("\(name), round \(round)", run))
                print(
                    String(
                        format:
                            "  %-34@ %10.0f events/s  %8.1f events/frame  %6.2f CPU-s/M events (sender %.2f, receiver %.2f)",
                        "\(name), round \(round)" as NSString, run.rate, run.eventsPerFrame, run.cpuPerMillion,
                        run.senderCPU / Double(run.events) * 1e6, run.receiverCPU / Double(run.events) * 1e6))
            }
        }
        let single = results.filter { $0.0.hasPrefix("one") }.map(\.1)
        let batched = results.filter { $0.0.hasPrefix("adaptive") }.map(\.1)
        let singleRate = single.map(\.rate).reduce(0, +) / Double(single.count)
        let batchedRate = batched.map(\.rate).reduce(0, +) / Double(batched.count)
        print(
            String(
                format: "  batching: %.1fx the events/s, %.2fx the CPU per event",
                batchedRate / singleRate,
                batched.map(\.cpuPerMillion).reduce(0, +) / single.map(\.cpuPerMillion).reduce(0, +)))
    }

    struct EventRun {
        var events: Int
        var frames: UInt64
        var seconds: Double
        var senderCPU: Double
        var receiverCPU: Double
        var rate: Double { Double(events) / seconds }
        var eventsPerFrame: Double { Double(events) / Double(frames) }
        var cpuPerMillion: Double { (senderCPU + receiverCPU) / Double(events) * 1e6 }
    }

    /// Publishes `count` events of `mix` on a fresh stream and waits until all are acknowledged.
    static func publish(
        mix: [(type: MessageType, payload: ByteBuffer)], count: Int, settings: LinkSettings, socket: String,
        receiver: Int32, directory: String, name: String, logger: Logger
    ) async throws -> EventRun {
        let sender = try ReliableSender(
            stream: name + ">writer", directory: directory, settings: settings, logger: logger)
        let connector = LinkConnector(
            path: socket, identity: LinkIdentity(role: .tool, name: name), settings: settings, logger: logger,
            expectedRole: ProcessRoleFilter(.writer))
        let link = Task { try await connector.run(endpoint: LinkEndpoint(outbound: sender)) }
        defer { link.cancel() }
        while !sender.stats.attached { try await Task.sleep(for: .milliseconds(1)) }
        let cpuBefore = (processCPU(), processCPU(pid: receiver))
        let started = ContinuousClock.now
        for index in 0..<count {
            let event = mix[index % mix.count]
            try sender.send(event: event.type, payload: event.payload)
            if index % 10_000 == 0 {
                while sender.stats.memoryBytes > 128 << 20 { try await Task.sleep(for: .milliseconds(1)) }
            }
        }
        while sender.stats.ackedThrough < sender.stats.nextSequence - 1 {
            try await Task.sleep(for: .microseconds(200))
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let cpuAfter = (processCPU(), processCPU(pid: receiver))
        return EventRun(
            events: count, frames: sender.stats.nextSequence - 1, seconds: seconds, senderCPU: cpuAfter.0 - cpuBefore.0,
            receiverCPU: cpuAfter.1 - cpuBefore.1)
    }

    /// Small events as exchanges send them, validated and encoded once (what `MarketPublisher` queues).
    static func eventMix() -> [(type: MessageType, payload: ByteBuffer)] {
        let markets = (0..<20).map { MarketKey(exchange: .binance, symbol: "SYM\($0)USDT") }
        return (0..<1_000).map { index in
            let market = markets[index % markets.count]
            let time = Timestamp(milliseconds: 1_700_000_000_000 + Int64(index))
            let message: Message
            if index % 10 < 7 {
                message = .trades([
                    Trade(
                        market: market, id: String(3_000_000_000 + index),
                        price: ExactDecimal(mantissa: Int128(6_500_000 + index % 1000), scale: 2)!,
                        quantity: ExactDecimal(mantissa: Int128(100 + index % 77), scale: 5)!,
                        side: index.isMultiple(of: 2) ? .buy : .sell, time: time, receivedAt: time)
                ])
            } else {
                let levels = (0..<(1 + index % 3)).map { level in
                    BookLevel(
                        price: ExactDecimal(mantissa: Int128(6_500_000 + level), scale: 2)!,
                        quantity: ExactDecimal(mantissa: Int128(index % 5 * 1000), scale: 5)!)
                }
                message = .bookDelta(
                    BookDelta(
                        market: market, firstUpdateID: UInt64(index), lastUpdateID: UInt64(index), time: time,
                        receivedAt: time, bids: levels, asks: Array(levels.prefix(1))))
            }
            precondition((try? message.validate()) != nil)
            var payload = ByteBuffer()
            message.encodePayload(into: &payload)
            return (message.type, payload)
        }
    }

    /// User and system CPU seconds of this process.
    static func processCPU() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// User and system CPU seconds of another process, from /proc (Linux).
    static func processCPU(pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
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
    /// Counts events, as a consumer reads them (`marketEvents`: one per frame, or a batch's).
    func consume(_ delivery: StreamDelivery) async throws {
        let events = delivery.items.reduce(0) { $0 + max(1, $1.message.marketEvents.count) }
        count.withLock { $0 += events }
    }
}
