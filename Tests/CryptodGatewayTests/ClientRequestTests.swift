import Testing

@testable import CryptodGateway

@Suite("WebSocket client requests")
struct ClientRequestTests {
    @Test("well-formed requests parse, with their ids")
    func valid() throws {
        let subscribe = try ClientRequest(text: #"{"op":"subscribe","topics":["trades.binance.BTCUSDT"],"id":7}"#)
        #expect(subscribe.operation == .subscribe)
        #expect(subscribe.topics == ["trades.binance.BTCUSDT"])
        #expect(subscribe.id == .integer(7))
        let ping = try ClientRequest(text: #"{"op":"ping","id":"abc","extra":true}"#)
        #expect(ping.operation == .ping)
        #expect(ping.id == .text("abc"))
        let list = try ClientRequest(text: #"{"op":"list"}"#)
        #expect(list.operation == .list)
        #expect(list.id == nil)
    }

    @Test(
        "malformed requests get a code and a message that says what to send",
        arguments: [
            ("not json", ClientError.Code.badJSON, "not a JSON object"),
            ("[1,2]", .badJSON, "not a JSON object"),
            (#"{"topics":[]}"#, .badRequest, "missing \"op\""),
            (#"{"op":42}"#, .badRequest, "\"op\" must be a string"),
            (#"{"op":"subscribe"}"#, .badRequest, "needs \"topics\""),
            (#"{"op":"subscribe","topics":[]}"#, .badRequest, "needs \"topics\""),
            (#"{"op":"subscribe","topics":"trades.binance.BTCUSDT"}"#, .badRequest, "must be an array of strings"),
            (#"{"op":"ping","id":1.5}"#, .badRequest, "\"id\" must be an integer or a string"),
            (#"{"op":"watch","id":3}"#, .unknownOp, "unknown op \"watch\""),
        ])
    func invalid(text: String, code: ClientError.Code, fragment: String) {
        do {
            _ = try ClientRequest(text: text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.code == code)
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test("an unknown op still echoes the id, so the client can match the error")
    func unknownOpKeepsID() {
        do {
            _ = try ClientRequest(text: #"{"op":"watch","id":3}"#)
        } catch {
            #expect(error.id == .integer(3))
            #expect(error.op == "watch")
        }
    }

    @Test("one request may not name more topics than the limit")
    func tooMany() {
        let topics = (0...ClientRequest.maxTopicsPerRequest).map { "\"trades.binance.S\($0)\"" }.joined(separator: ",")
        do {
            _ = try ClientRequest(text: #"{"op":"subscribe","topics":[\#(topics)]}"#)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .tooManyTopics)
        }
    }
}
