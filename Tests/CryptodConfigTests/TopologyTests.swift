import CryptodModel
import Testing

@testable import CryptodConfig

/// Process names, sockets and order, derived the same way in every process.
@Suite struct TopologyTests {
    static let allExchanges =
        "[daemon]\nruntime_dir = \"/run/x\"\n[exchanges.whitebit]\n[exchanges.binance]\n[exchanges.bybit]\n"

    @Test func everyProcessOfAFullConfiguration() throws {
        let topology = try load(Self.allExchanges).configuration.topology
        #expect(
            topology.startOrder.map(\.name.description) == [
                "writer", "gateway", "scheduler", "ingestor-binance", "ingestor-bybit", "ingestor-whitebit",
            ])
        #expect(
            topology.stopOrder.map(\.name.description) == [
                "ingestor-whitebit", "ingestor-bybit", "ingestor-binance", "scheduler", "writer", "gateway",
            ])
        #expect(topology.controlSocketPath == "/run/x/control.sock")
        #expect(topology.pidFilePath == "/run/x/cryptod.pid")
        #expect(topology.runtimeDirectory == "/run/x")
        for spec in topology.processes {
            #expect(spec.socketPath == "/run/x/\(spec.name).sock")
            #expect(spec.role == spec.name.role)
        }
        let bybit = try #require(topology.spec(for: .ingestor(.bybit)))
        #expect(bybit.role == .ingestor)
        #expect(bybit.exchange == .bybit)
        #expect(bybit.executableName == "cryptod-ingestor")
        #expect(topology.spec(for: .writer)?.executableName == "cryptod-writer")
        #expect(topology.spec(for: .gateway)?.executableName == "cryptod-gateway")
        #expect(topology.spec(for: .scheduler)?.executableName == "cryptod-scheduler")
        #expect(topology.spec(for: .writer)?.exchange == nil)
    }

    @Test func onlyEnabledProcessesRun() throws {
        let doc =
            "[gateway]\nenabled = false\n[scheduler]\nenabled = false\n[exchanges.bybit]\n[exchanges.binance]\nenabled = false\n"
        let topology = try load(doc).configuration.topology
        #expect(topology.processes.map(\.name) == [.writer, .ingestor(.bybit)])
        #expect(topology.spec(for: .gateway) == nil)
        #expect(topology.stopOrder.map(\.name) == [.ingestor(.bybit), .writer])
    }

    @Test func binDirectoryAndExecutablePaths() throws {
        let unset = try load("[exchanges.binance]\n").configuration.topology
        #expect(unset.binDirectory == nil)
        let set = try load("[daemon]\nbin_dir = \"../libexec\"\n").configuration.topology
        #expect(set.binDirectory == "/libexec")
        let writer = ProcessSpec(name: .writer, socketPath: "/run/writer.sock")
        #expect(writer.executablePath(in: "/opt/cryptod/bin") == "/opt/cryptod/bin/cryptod-writer")
        #expect(writer.executablePath(in: "/opt/cryptod/bin/") == "/opt/cryptod/bin/cryptod-writer")
        #expect(Topology.socketPath(for: .ingestor(.whitebit), runtimeDirectory: "/r/") == "/r/ingestor-whitebit.sock")
    }

    @Test(arguments: ProcessName.all)
    func namesRoundTrip(name: ProcessName) {
        #expect(ProcessName(name.description) == name)
    }

    @Test func unknownNamesDoNotParse() {
        #expect(ProcessName("ingestor-kraken") == nil)
        #expect(ProcessName("supervisor") == nil)
        #expect(ProcessName("Writer") == nil)
        #expect(ProcessName.all.count == 6)
        #expect(Topology.longestSocketName == "ingestor-whitebit.sock")
    }

    @Test func ordering() {
        #expect(ProcessName.writer < .gateway)
        #expect(ProcessName.scheduler < .ingestor(.binance))
        #expect(ProcessName.ingestor(.binance) < .ingestor(.whitebit))
        #expect(ProcessName.stopsBefore(.ingestor(.binance), .scheduler))
        #expect(ProcessName.stopsBefore(.writer, .gateway))
        #expect(!ProcessName.stopsBefore(.gateway, .writer))
    }
}
