import CryptodFormats
import CryptodModel
import NIOCore

/// The JSON replies the gateway sends to WebSocket requests. Every reply names its `op` (the request's, or
/// `pong` for `ping`, or `error`) and echoes the request's `id` when it had one.
enum ClientReply {
    static func subscribed(_ added: [TopicPattern], total: Int, id: ClientRequest.ID?) -> ByteBuffer {
        reply("subscribe", id: id) { json in
            topics("topics", added, into: &json)
            json.field("subscriptions", Int64(total))
        }
    }

    /// The reply to subscribing or unsubscribing `stats`.
    static func statsSubscription(_ operation: String, id: ClientRequest.ID?) -> ByteBuffer {
        reply(operation, id: id) { json in
            json.key("topics")
            json.array { json in json.value("stats") }
        }
    }

    static func unsubscribed(
        _ removed: [TopicPattern], notSubscribed: [TopicPattern], total: Int, id: ClientRequest.ID?
    ) -> ByteBuffer {
        reply("unsubscribe", id: id) { json in
            topics("topics", removed, into: &json)
            topics("not_subscribed", notSubscribed, into: &json)
            json.field("subscriptions", Int64(total))
        }
    }

    static func list(_ subscriptions: [TopicPattern], id: ClientRequest.ID?) -> ByteBuffer {
        reply("list", id: id) { json in
            topics("topics", subscriptions, into: &json)
        }
    }

    static func pong(id: ClientRequest.ID?, time: Timestamp) -> ByteBuffer {
        reply("pong", id: id) { json in
            json.field("time", time)
        }
    }

    /// An error, with both `type` and `op` set to `error` so that a client of either format recognises it.
    static func error(_ error: ClientError) -> ByteBuffer {
        var json = JSONWriter(capacity: 256)
        json.object { json in
            json.field("type", "error")
            json.field("op", "error")
            json.field("code", error.code.rawValue)
            json.field("message", error.message)
            if let op = error.op { json.field(error.seed ? "request_type" : "request_op", op) }
            if let id = error.id { writeID(id, into: &json) }
        }
        return ByteBuffer(bytes: json.bytes)
    }

    // MARK: - Seed format and messages of the feed itself

    /// The answer to a seed-format subscribe: the topic its events carry, the topic's latest sequence number
    /// (the next event has `seq + 1`) and the epoch to resume with.
    static func seedSubscribed(
        _ topic: EventTopic, seq: UInt64, epoch: String, alreadySubscribed: Bool, id: ClientRequest.ID?
    ) -> ByteBuffer {
        seed("subscribed", topic, id: id) { json in
            json.field("seq", seq)
            json.field("epoch", epoch)
            if alreadySubscribed { json.field("already_subscribed", true) }
        }
    }

    static func seedUnsubscribed(_ topic: EventTopic, wasSubscribed: Bool, id: ClientRequest.ID?) -> ByteBuffer {
        seed("unsubscribed", topic, id: id) { json in
            json.field("was_subscribed", wasSubscribed)
        }
    }

    static func seedPong(id: ClientRequest.ID?, time: Timestamp, epoch: String) -> ByteBuffer {
        message("pong") { json in
            if let id { writeID(id, into: &json) }
            json.field("time", time)
            json.field("epoch", epoch)
        }
    }

    static func seedList(_ subscriptions: [TopicPattern], id: ClientRequest.ID?) -> ByteBuffer {
        message("subscriptions") { json in
            if let id { writeID(id, into: &json) }
            topics("topics", subscriptions, into: &json)
        }
    }

    /// The client's position on `topic` cannot be resumed: what it missed is gone. `seq` is the topic's
    /// latest number, the client's new starting point; a book snapshot (or `book_pending`) follows for books.
    static func resync(_ topic: EventTopic, seq: UInt64, epoch: String, reason: String) -> ByteBuffer {
        seed("resync", topic, id: nil) { json in
            json.field("seq", seq)
            json.field("epoch", epoch)
            json.field("reason", reason)
        }
    }

    /// A book subscription whose market has no book yet; its first snapshot is sent when it arrives.
    static func bookPending(_ topic: EventTopic, seq: UInt64) -> ByteBuffer {
        seed("book_pending", topic, id: nil) { json in
            json.field("seq", seq)
            json.field(
                "message",
                "no order book for \(topic.exchange) \(topic.marketType) \(topic.symbol) yet; its snapshot is sent "
                    + "as soon as the ingestor delivers one (is the market in exchanges.\(topic.exchange).markets "
                    + "with the book channel?)")
        }
    }

    static func heartbeat(time: Timestamp, epoch: String) -> ByteBuffer {
        message("heartbeat") { json in
            json.field("time", time)
            json.field("epoch", epoch)
        }
    }

    /// The seed's name for a channel's stream.
    static func streamName(_ channel: MarketChannel) -> String {
        switch channel {
        case .trades: SeedRequest.Stream.trade.rawValue
        case .ticker: SeedRequest.Stream.ticker.rawValue
        case .candles: SeedRequest.Stream.kline.rawValue
        case .book: SeedRequest.Stream.orderbook.rawValue
        }
    }

    private static func message(_ type: String, body: (inout JSONWriter) -> Void) -> ByteBuffer {
        var json = JSONWriter(capacity: 256)
        json.object { json in
            json.field("type", type)
            body(&json)
        }
        return ByteBuffer(bytes: json.bytes)
    }

    /// `{"type":…,"stream":…,"exchange":…,"market":…,"symbol":…[,"interval":…],"topic":…,…}`.
    private static func seed(
        _ type: String, _ topic: EventTopic, id: ClientRequest.ID?, body: (inout JSONWriter) -> Void
    ) -> ByteBuffer {
        message(type) { json in
            if let id { writeID(id, into: &json) }
            json.field("stream", streamName(topic.channel))
            json.field("exchange", topic.exchange)
            json.field("market", topic.marketType.description)
            json.field("symbol", topic.symbol)
            if let interval = topic.interval { json.field("interval", interval.description) }
            json.field("topic", topic.description)
            body(&json)
        }
    }

    // MARK: - Helpers

    private static func reply(_ op: String, id: ClientRequest.ID?, body: (inout JSONWriter) -> Void) -> ByteBuffer {
        var json = JSONWriter(capacity: 256)
        json.object { json in
            json.field("op", op)
            json.field("ok", true)
            if let id { writeID(id, into: &json) }
            body(&json)
        }
        return ByteBuffer(bytes: json.bytes)
    }

    private static func writeID(_ id: ClientRequest.ID, into json: inout JSONWriter) {
        switch id {
        case .integer(let value): json.field("id", value)
        case .text(let value): json.field("id", value)
        }
    }

    private static func topics(_ key: String, _ patterns: [TopicPattern], into json: inout JSONWriter) {
        json.key(key)
        json.array { json in
            for pattern in patterns { json.value(pattern.description) }
        }
    }
}
