import CryptodModel
import Testing

@testable import CryptodConfig

/// What a reload means for each process.
@Suite struct ReloadPlanTests {
    static let base = "[exchanges.binance]\n[exchanges.bybit]\n"

    func plan(_ newDoc: String, old oldDoc: String = base) throws -> ReloadPlan {
        ReloadPlan(old: try load(oldDoc).configuration, new: try load(newDoc).configuration)
    }

    @Test func identicalConfigurationsChangeNothing() throws {
        let plan = try plan(Self.base)
        #expect(plan.isEmpty)
        #expect(!plan.changesTopology)
        #expect(plan.steps.map(\.process) == [.writer, .gateway, .scheduler, .ingestor(.binance), .ingestor(.bybit)])
        #expect(plan.steps.allSatisfy { $0.action == .unchanged })
    }

    @Test func logLevelIsAppliedInPlaceEverywhere() throws {
        let plan = try plan(Self.base + "[daemon]\nlog_level = \"debug\"\n")
        #expect(plan.changedKeys == ["daemon.log_level"])
        #expect(plan.steps.allSatisfy { $0.action == .applyInPlace(changedKeys: ["daemon.log_level"]) })
        #expect(plan.supervisorKeys == ["daemon.log_level"])
        #expect(plan.daemonRestartKeys.isEmpty)
    }

    @Test(arguments: [
        ("[gateway]\nrest_listen = \"127.0.0.1:9000\"\n", [ProcessName.gateway], "gateway.rest_listen"),
        ("[writer]\njsonl_dir = \"/data\"\n", [.writer], "writer.jsonl_dir"),
        (
            "[exchanges.binance]\napi_key = \"k\"\n[exchanges.bybit]\n", [.ingestor(.binance)],
            "exchanges.binance.api_key"
        ),
        (
            "[exchanges.binance]\nmarkets = [\"SOLUSDT\"]\n[exchanges.bybit]\n", [.scheduler, .ingestor(.binance)],
            "exchanges.binance.markets"
        ),
        (
            "[exchanges.binance]\n[exchanges.bybit]\nbook_depth = 50\n", [.ingestor(.bybit)],
            "exchanges.bybit.book_depth"
        ),
        (
            "[exchanges.binance]\n[exchanges.bybit]\n[exchanges.whitebit]\nenabled = false\nbook_depth = 5\n", [],
            "exchanges.whitebit.book_depth"
        ),
    ])
    func restartsOnlyTheProcessesThatReadTheKey(suffix: String, restarted: [ProcessName], key: String) throws {
        let doc = suffix.contains("[exchanges.binance]") ? suffix : Self.base + suffix
        let plan = try plan(doc)
        #expect(plan.changedKeys == [key])
        for step in plan.steps {
            let expected: ReloadPlan.Action =
                restarted.contains(step.process) ? .restart(changedKeys: [key]) : .unchanged
            #expect(step.action == expected, "\(step.process)")
        }
        #expect(plan.supervisorKeys.isEmpty)
    }

    @Test func deliveryChangesRestartEveryProcess() throws {
        let plan = try plan(Self.base + "[delivery]\nmax_batch = 10\n")
        #expect(plan.steps.allSatisfy { $0.action == .restart(changedKeys: ["delivery.max_batch"]) })
        #expect(plan.supervisorKeys == ["delivery.max_batch"])
    }

    @Test func supervisorPolicyTouchesNoChild() throws {
        let plan = try plan(Self.base + "[supervisor]\nrestart_budget = 9\nstop_timeout = \"3s\"\n")
        #expect(plan.supervisorKeys == ["supervisor.restart_budget", "supervisor.stop_timeout"])
        #expect(plan.steps.allSatisfy { $0.action == .unchanged })
        #expect(plan.daemonRestartKeys.isEmpty)
    }

    @Test func directoriesNeedADaemonRestart() throws {
        let plan = try plan(Self.base + "[daemon]\nruntime_dir = \"/run/other\"\nlog_format = \"text\"\n")
        #expect(plan.daemonRestartKeys == ["daemon.runtime_dir", "daemon.log_format"])
        #expect(
            plan.steps.allSatisfy { $0.action == .restart(changedKeys: ["daemon.runtime_dir", "daemon.log_format"]) })
    }

    @Test func topologyChanges() throws {
        let plan = try plan(
            "[gateway]\nenabled = false\n[exchanges.binance]\n[exchanges.bybit]\n[exchanges.whitebit]\n")
        #expect(plan.changesTopology)
        #expect(plan.action(for: .gateway) == .removed)
        #expect(plan.action(for: .ingestor(.whitebit)) == .added)
        #expect(plan.action(for: .scheduler) == .restart(changedKeys: ["exchanges.whitebit.enabled"]))
        #expect(plan.action(for: .writer) == .unchanged)
        #expect(plan.action(for: .ingestor(.binance)) == .unchanged)
        let back = try self.plan(Self.base, old: "[exchanges.bybit]\n")
        #expect(back.action(for: .ingestor(.binance)) == .added)
        #expect(ReloadPlan(old: .defaults, new: .defaults).action(for: .ingestor(.bybit)) == nil)
    }
}
