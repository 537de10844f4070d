import NIOCore

/// Binance's protocol on one WebSocket: SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY /
/// GET_PROPERTY with `{"result":…,"id":…}` answers and `{"error":{"code":…,"msg":…},"id":…}` errors,
/// combined-stream wrapping, and the `serverShutdown` notice at the 24 h mark.
final class BinanceSession: WSSession {
    private let venue: BinanceVenue
    private var combined: Bool
    private let initial: [StreamKey]
    /// Subscription order, for LIST_SUBSCRIPTIONS.
    private var order: [StreamKey] = []
    /// `{"stream":"<name>","data":` per key, built once.
    @exclusivity(unchecked) private var prefixes: [StreamKey: ByteBuffer] = [:]

    init(venue: BinanceVenue, combined: Bool, initial: [StreamKey]) {
        self.venue = venue
        self.combined = combined
        self.initial = initial
    }

    func didOpen(_ connection: WSConnection) {
        self.order = connection.subscribe(self.initial)
    }

    func encode(_ message: StreamMessage, into output: inout WSOutput) {
        guard self.combined else {
            output.text(message.payload)
            return
        }
        output.text(prefix: self.prefix(for: message.key), payload: message.payload, suffix: "}")
    }

    private func prefix(for key: StreamKey) -> ByteBuffer {
        if let prefix = self.prefixes[key] { return prefix }
        var buffer = ByteBuffer()
        buffer.writeStaticString("{\"stream\":\"")
        buffer.writeString(self.venue.streamName(key))
        buffer.writeStaticString("\",\"data\":")
        self.prefixes[key] = buffer
        return buffer
    }

    func lifetimeEnded(_ connection: WSConnection) {
        var event = JSONWriter()
        event.raw("{\"e\":\"serverShutdown\",\"E\":")
        event.int(connection.now)
        event.raw("}")
        if self.combined {
            var wrapped = JSONWriter()
            wrapped.raw("{\"stream\":\"!serverShutdown\",\"data\":")
            wrapped.raw(event.buffer)
            wrapped.raw("}")
            connection.send(text: wrapped.buffer)
        } else {
            connection.send(text: event.buffer)
        }
    }

    // MARK: - Control messages

    func didReceive(text: ByteBuffer, on connection: WSConnection) {
        var parser = JSONParser(bytes: text.getBytes(at: text.readerIndex, length: text.readableBytes) ?? [])
        let message: JSONValue
        do {
            message = try parser.parseDocument()
        } catch {
            self.reply(
                error: 3, "Invalid JSON: \(error.reason) at line \(error.line) column \(error.column)", id: .null,
                on: connection)
            return
        }
        guard case .object = message else {
            self.reply(error: 2, "Invalid request: expected a JSON object", id: .null, on: connection)
            return
        }
        let id = message["id"] ?? .null
        switch id {
        case .null: break
        case .number(let text) where Int64(text) != nil: break
        case .string(let text)
        where text.count <= 36 && text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }): break
        default:
            self.reply(error: 2, "Invalid request: request ID must be an unsigned integer", id: .null, on: connection)
            return
        }
        guard let method = message["method"]?.stringValue else {
            self.reply(
                error: 2, "Invalid request: missing field `method` at line 1 column \(text.readableBytes)", id: id,
                on: connection)
            return
        }
        let params = message["params"]
        switch method {
        case "SUBSCRIBE", "UNSUBSCRIBE":
            guard let items = params?.arrayValue else {
                self.reply(error: 2, "Invalid request: missing field `params`", id: id, on: connection)
                return
            }
            var keys: [StreamKey] = []
            for item in items {
                guard let name = item.stringValue,
                    let key = BinanceStream.parse(name, market: { self.venue.market(forSymbol: $0) })
                else {
                    self.reply(
                        error: 2, "Invalid request: invalid stream name \(item.stringValue ?? "")", id: id,
                        on: connection)
                    return
                }
                keys.append(key)
            }
            if method == "SUBSCRIBE" {
                let fresh = keys.filter { !connection.streams.contains($0) }
                guard connection.streamCount + Set(fresh).count <= connection.maxStreams else {
                    self.reply(
                        error: 2, "Invalid request: too many streams (limit \(connection.maxStreams))", id: id,
                        on: connection)
                    return
                }
                self.order.append(contentsOf: connection.subscribe(fresh))
            } else {
                let removed = Set(connection.unsubscribe(keys))
                self.order.removeAll { removed.contains($0) }
            }
            self.reply(result: .null, id: id, on: connection)
        case "LIST_SUBSCRIPTIONS":
            self.reply(result: .array(self.order.map { .string(self.venue.streamName($0)) }), id: id, on: connection)
        case "SET_PROPERTY":
            guard let items = params?.arrayValue, items.count == 2, let property = items[0].stringValue else {
                self.reply(error: 2, "Invalid request: property name must be a string", id: id, on: connection)
                return
            }
            guard property == "combined" else {
                self.reply(error: 0, "Unknown property", id: id, on: connection)
                return
            }
            guard let value = items[1].boolValue else {
                self.reply(error: 1, "Invalid value type: expected Boolean", id: id, on: connection)
                return
            }
            self.combined = value
            self.reply(result: .null, id: id, on: connection)
        case "GET_PROPERTY":
            guard let items = params?.arrayValue, items.count == 1, let property = items[0].stringValue else {
                self.reply(error: 2, "Invalid request: property name must be a string", id: id, on: connection)
                return
            }
            guard property == "combined" else {
                self.reply(error: 0, "Unknown property", id: id, on: connection)
                return
            }
            self.reply(result: .bool(self.combined), id: id, on: connection)
        default:
            self.reply(
                error: 2,
                "Invalid request: unknown variant `\(method)`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, "
                    + "`LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` at line 1 column 28",
                id: id, on: connection)
        }
    }

    private func reply(result: JSONValue, id: JSONValue, on connection: WSConnection) {
        connection.send(.object([("result", result), ("id", id)]))
    }

    private func reply(error code: Int, _ message: String, id: JSONValue, on connection: WSConnection) {
        connection.send(.object([("error", .object([("code", .int(code)), ("msg", .string(message))])), ("id", id)]))
    }
}
