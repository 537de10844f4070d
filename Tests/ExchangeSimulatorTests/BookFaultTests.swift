import ExchangeSimulator
import Foundation
import Testing

/// `corrupt_book`: a REST order book that no longer matches the stream, for clients' book audits.
@Suite("corrupt_book fault")
struct BookFaultTests {
    /// Each venue's order-book body → the same body with its first bid's quantity one digit longer.
    @Test(arguments: [
        (
            #"{"lastUpdateId":7,"bids":[["100.00","0.50000000"],["99.00","1.0"]],"asks":[["101.00","2.0"]]}"#,
            #"{"lastUpdateId":7,"bids":[["100.00","0.500000001"],["99.00","1.0"]],"asks":[["101.00","2.0"]]}"#
        ),
        (
            #"{"retCode":0,"result":{"s":"BTCUSDT","b":[["65000.1","3"]],"a":[["65000.2","1.5"]],"u":9}}"#,
            #"{"retCode":0,"result":{"s":"BTCUSDT","b":[["65000.1","3.1"]],"a":[["65000.2","1.5"]],"u":9}}"#
        ),
        (
            #"{"ticker_id":"BTC_USDT","timestamp":1,"asks":[["10","2"]],"bids":[["9","0.25"]]}"#,
            #"{"ticker_id":"BTC_USDT","timestamp":1,"asks":[["10","2"]],"bids":[["9","0.251"]]}"#
        ),
    ])
    func changesTheFirstBid(body: String, expected: String) throws {
        let parsed = try #require(JSONValue.parse(body))
        let changed = try #require(SimRouter.changingFirstBid(parsed))
        #expect(changed == JSONValue.parse(expected))
    }

    @Test(arguments: [#"{"bids":[]}"#, #"{"serverTime":1}"#, #"[1,2]"#])
    func aBodyWithoutBidsIsLeftAlone(body: String) throws {
        let parsed = try #require(JSONValue.parse(body))
        #expect(SimRouter.changingFirstBid(parsed) == nil)
    }

    /// Over HTTP: the corrupted answer differs from the true book at its update id in exactly the first
    /// bid's quantity, the next answer is clean again (count 1), and the firing is counted.
    @Test func binanceDepthAnswerDiffersFromTheTruth() async throws {
        try await SimulatorHarness.withBinance { port, _ in
            _ = try await SimulatorHarness.admin(port, "/_sim/faults", #"{"kind":"corrupt_book","count":1}"#)
            _ = try await TestHTTP.request(port: port, path: "/api/v3/time")  // not a book: the fault waits
            for corrupted in [true, false] {
                let (result, body) = try await TestHTTP.json(port: port, path: "/api/v3/depth?symbol=BNBBTC&limit=5")
                #expect(result.status == 200)
                let object = try #require(body as? [String: Any])
                let id = try #require((object["lastUpdateId"] as? NSNumber)?.int64Value)
                let bids = try #require(object["bids"] as? [[String]])
                let truth = try await BinanceDepthSyncTests.groundTruth(port: port, symbol: "BNBBTC", updateId: id)
                let top = try #require(bids.first)
                let trueQuantity = try #require(truth.bids[top[0]])
                #expect(top[1] == (corrupted ? trueQuantity + "1" : trueQuantity))
                for level in bids.dropFirst() { #expect(truth.bids[level[0]] == level[1]) }
            }
            let (_, faults) = try await TestHTTP.json(port: port, path: "/_sim/faults")
            let counters = try #require((faults as? [String: Any])?["counters"] as? [String: Any])
            #expect((counters["corrupt_book"] as? NSNumber)?.intValue == 1)
        }
    }
}
