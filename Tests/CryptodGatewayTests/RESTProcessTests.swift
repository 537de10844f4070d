import CryptodConfig
import CryptodGateway
import CryptodWire
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `POST /api/v1/stream/process` against a fake ingestor that answers the `inject` control command: the
/// token, the checks the gateway makes itself, the body relayed byte for byte, and the mapping of refusals.
@Suite("REST stream process (inject)", .serialized)
struct RESTProcessTests {
    static let published =
        #"{"published":1,"events":[{"type":"ticker","market":"spot","symbol":"BTCUSDT"}],"origin":"injected"}"#

    @Test func injectNeedsTheTokenAndRelaysTheBodyAsItCame() async throws {
        let dir = try TemporaryDirectory()
        let ingestor = FakeIngestor(path: dir.path + "/ingestor-binance.sock") { request in
            guard request.command == .inject else { return (.invalidRequest, "not inject") }
            if request.argument.contains("book") {
                return (.invalidRequest, "order-book snapshots and deltas cannot be injected")
            }
            return (.ok, Self.published)
        }
        #expect(await waitForSocket(dir.path + "/ingestor-binance.sock"))
        try await withREST(restConfiguration(runtime: dir.path, exchanges: ["binance"])) { _, client in
            // Decimals with trailing zeros: the ingestor must get exactly these digits, so the body is not
            // re-encoded on the way.
            let text =
                #"{"exchange":"binance","format":"normalized","event":{"type":"ticker","exchange":"binance","#
                + #""symbol":"BTCUSDT","last":"64000.10000","volume":"0.00010000"}}"#
            try await client.execute(uri: "/api/v1/stream/process", method: .post, body: ByteBuffer(string: text)) {
                #expect($0.status == .unauthorized)
            }
            #expect(ingestor.sent.isEmpty, "nothing reaches the ingestor without the token")
            try await client.execute(
                uri: "/api/v1/stream/process", method: .post, headers: admin, body: ByteBuffer(string: text)
            ) { response in
                #expect(response.status == .ok)
                let object = try jsonObject(String(buffer: response.body))
                #expect(object["published"] as? Int == 1)
                #expect(object["origin"] as? String == "injected")
                #expect((object["events"] as? [[String: Any]])?.first?["symbol"] as? String == "BTCUSDT")
            }
            let sent = ingestor.sent
            #expect(sent.map(\.command) == [.inject])
            #expect(sent.first?.target == "ingestor-binance")
            #expect(sent.first?.argument == text)

            // The ingestor's refusal is a 400 with its words.
            let book = #"{"exchange":"binance","format":"native","message":"{\"e\":\"depthUpdate\",\"book\":1}"}"#
            try await client.execute(
                uri: "/api/v1/stream/process", method: .post, headers: admin, body: ByteBuffer(string: book)
            ) { response in
                #expect(response.status == .badRequest)
                try expectError(response, code: "rejected", mentioning: "cannot be injected")
            }
        }
    }

    static let badBodies: [(String, String, Int, String, String)] = [
        ("not JSON", "{", 400, "bad_body", "one JSON object"),
        ("no exchange", #"{"format":"native","message":"{}"}"#, 400, "bad_body", #"needs "exchange""#),
        ("unknown exchange", #"{"exchange":"kraken","message":"{}"}"#, 400, "bad_body", "is not one of"),
        ("bad format", #"{"exchange":"binance","format":"raw","message":"{}"}"#, 400, "bad_body", #""format" must be"#),
        ("nothing to inject", #"{"exchange":"binance","format":"native"}"#, 400, "bad_body", #"needs "message""#),
        (
            "disabled exchange", #"{"exchange":"bybit","message":"{}"}"#, 409, "exchange_disabled",
            "exchanges.bybit.enabled"
        ),
    ]

    @Test("bodies the gateway refuses itself never reach the ingestor", arguments: badBodies)
    func refused(_ name: String, _ body: String, _ status: Int, _ code: String, _ fragment: String) async throws {
        let dir = try TemporaryDirectory()
        let ingestor = FakeIngestor(path: dir.path + "/ingestor-binance.sock") { _ in (.ok, Self.published) }
        #expect(await waitForSocket(dir.path + "/ingestor-binance.sock"))
        try await withREST(restConfiguration(runtime: dir.path, exchanges: ["binance"])) { _, client in
            try await client.execute(
                uri: "/api/v1/stream/process", method: .post, headers: admin, body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status.code == status, "\(name)")
                try expectError(response, code: code, mentioning: fragment)
            }
        }
        #expect(ingestor.sent.isEmpty, "\(name)")
    }

    @Test func anIngestorThatDoesNotAnswerIsA502() async throws {
        let dir = try TemporaryDirectory()
        try await withREST(restConfiguration(runtime: dir.path, exchanges: ["binance"])) { _, client in
            let body = ByteBuffer(string: #"{"exchange":"binance","format":"native","message":"{}"}"#)
            try await client.execute(uri: "/api/v1/stream/process", method: .post, headers: admin, body: body) {
                response in
                #expect(response.status == .badGateway)
                try expectError(response, code: "ingestor_unavailable", mentioning: "ingestor-binance")
            }
        }
    }
}
