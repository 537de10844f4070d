import CryptodWire
import NIOCore
import NIOPosix

/// A link's NIO channel: inbound batches of frames, outbound single frames.
package typealias LinkChannel = NIOAsyncChannel<[Frame], Frame>

/// Builds the pipeline every link uses:
/// `FrameDecoder → HeartbeatHandler → FrameBatcher → async handler` inbound, `FrameEncoder` outbound.
enum LinkPipeline {
    static func configure(_ channel: any Channel, settings: LinkSettings) -> EventLoopFuture<LinkChannel> {
        channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(ByteToMessageHandler(FrameDecoder(maxPayload: settings.maxFrameBytes)))
            try sync.addHandler(MessageToByteHandler(FrameEncoder()))
            try sync.addHandler(HeartbeatHandler(interval: settings.heartbeatInterval, timeout: settings.heartbeatTimeout))
            try sync.addHandler(FrameBatcher(maxBatch: settings.maxBatch))
            return try LinkChannel(
                wrappingChannelSynchronously: channel,
                configuration: .init(backPressureStrategy: .init(lowWatermark: 4, highWatermark: 64)))
        }
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
    let outbound: NIOAsyncChannelOutboundWriter<Frame>

    package func send(_ message: Message) async throws {
        try await outbound.write(Frame(message))
    }

    package func send(frames: [Frame]) async throws {
        try await outbound.write(contentsOf: frames)
    }
}
