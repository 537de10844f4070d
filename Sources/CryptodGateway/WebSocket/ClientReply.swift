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

    static func error(_ error: ClientError) -> ByteBuffer {
        var json = JSONWriter(capacity: 256)
        json.object { json in
            json.field("op", "error")
            json.field("code", error.code.rawValue)
            json.field("message", error.message)
            if let op = error.op { json.field("request_op", op) }
            if let id = error.id { writeID(id, into: &json) }
        }
        return ByteBuffer(bytes: json.bytes)
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
