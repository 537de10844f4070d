import CryptodWire
import NIOCore
import NIOPosix

/// A link's NIO channel: inbound batches of frames (one per socket read), outbound encoded bytes (one buffer
/// per batch of frames: one write instead of one per frame).
package typealias LinkChannel = NIOAsyncChannel<[Frame], ByteBuffer>

/// Builds the pipeline every link uses: `FrameBatchDecoder → HeartbeatHandler → async handler`.
enum LinkPipeline {
    static func configure(_ channel: any Channel, settings: LinkSettings) -> EventLoopFuture<LinkChannel> {
        channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(
                ByteToMessageHandler(FrameBatchDecoder(maxPayload: settings.maxFrameBytes, maxBatch: settings.maxBatch))
            )
            try sync.addHandler(
                HeartbeatHandler(interval: settings.heartbeatInterval, timeout: settings.heartbeatTimeout))
            return try LinkChannel(
                wrappingChannelSynchronously: channel,
                configuration: .init(backPressureStrategy: .init(lowWatermark: 4, highWatermark: 64)))
        }
    }

    /// Wraps a channel a listener accepted with `autoRead` off, on the channel's event loop, then starts reading.
    ///
    /// Accepted channels are wrapped here, by the task that serves them, rather than in the server's child
    /// initializer: a wrapper made there that never reaches the accept loop (the listener closing while a peer
    /// connects) is released unfinished, and NIO traps on that. A raw channel dropped in that race is harmless.
    static func adoptAccepted(_ channel: any Channel, settings: LinkSettings) async throws -> LinkChannel {
        try await channel.eventLoop.flatSubmit {
            configure(channel, settings: settings).flatMap { link in
                // Nothing was read before the handlers were in place: autoRead was off until now.
                channel.setOption(ChannelOptions.autoRead, value: true).map { link }
            }
        }.get()
    }

    /// Connects to a listening process socket.
    static func connect(path: String, settings: LinkSettings) async throws -> LinkChannel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: path) { channel in configure(channel, settings: settings) }
    }

    /// Adopts an already connected socket, e.g. the parent link a child inherits as fd 3.
    static func adopt(descriptor: CInt, settings: LinkSettings) async throws -> LinkChannel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .withConnectedSocket(descriptor) { channel in configure(channel, settings: settings) }
    }
}

/// Sends frames on one link. Safe to use from several tasks; each call's frames stay in order.
package struct LinkWriter: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    package func send(_ message: Message) async throws {
        var buffer = ByteBuffer()
        Frame.write(message, to: &buffer)
        try await outbound.write(buffer)
    }

    /// Encodes every frame into one buffer: one socket write for the batch.
    package func send(frames: [Frame]) async throws {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(frames.reduce(0) { $0 + $1.encodedSize })
        for frame in frames { frame.write(to: &buffer) }
        try await outbound.write(buffer)
    }
}
