import CryptodRuntime
import Metrics
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("CryptodMetrics")
struct CryptodMetricsTests {
    /// The sample lines (not comments) of an exposition whose name starts with `name{`.
    private func samples(_ exposition: String, _ name: String) -> [Substring] {
        exposition.split(separator: "\n").filter { $0.hasPrefix(name + "{") }
    }

    private func value(_ line: Substring) -> Double? {
        line.split(separator: " ").last.flatMap { Double($0) }
    }

    /// The value of the only sample of `name`.
    private func sample(_ exposition: String, _ name: String) throws -> Double {
        let line = try #require(samples(exposition, name).first, "\(name) missing")
        return try #require(value(line), "\(line)")
    }

    @Test("a counter incremented through swift-metrics appears with the process label")
    func counterThroughSwiftMetrics() {
        let metrics = CryptodMetrics(process: "writer", build: .init(version: "0.1.0", commit: "abc1234"))
        withMetricsFactory(metrics.factory) {
            let counter = Counter(label: "cryptod_writer_rows_total", dimensions: [("sink", "jsonl")])
            counter.increment(by: 3)
            counter.increment()
        }
        let text = metrics.exposition()
        #expect(text.contains("# TYPE cryptod_writer_rows_total counter\n"))
        #expect(
            samples(text, "cryptod_writer_rows_total") == [
                #"cryptod_writer_rows_total{sink="jsonl",process="writer"} 4"#
            ])
    }

    @Test("a caller's own process dimension is replaced, not duplicated")
    func reservedLabel() {
        let metrics = CryptodMetrics(process: "gateway", build: .init(version: "1", commit: "c"))
        withMetricsFactory(metrics.factory) {
            Gauge(label: "cryptod_gateway_clients", dimensions: [("process", "spoofed")]).record(7)
        }
        #expect(
            samples(metrics.exposition(), "cryptod_gateway_clients") == [
                #"cryptod_gateway_clients{process="gateway"} 7.0"#
            ])
    }

    @Test("process metrics and build info are exported, read from /proc at scrape time")
    func processMetrics() throws {
        let metrics = CryptodMetrics(process: "ingestor-binance", build: .init(version: "0.2.0", commit: "deadbee"))
        let text = metrics.exposition()
        let label = #"{process="ingestor-binance"}"#
        let resident = try #require(samples(text, "cryptod_process_resident_memory_bytes").first)
        #expect(resident.hasPrefix("cryptod_process_resident_memory_bytes" + label))
        #expect(try sample(text, "cryptod_process_resident_memory_bytes") > 1_000_000)

        let start = try sample(text, "cryptod_process_start_time_seconds")
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        #expect(start <= Double(now.tv_sec) + 1)
        #expect(start > Double(now.tv_sec) - 86_400)

        let before = try sample(text, "cryptod_process_open_fds")
        #expect(before >= 3)
        // Opening descriptors shows at the next scrape.
        let extra = (0..<5).map { _ in open("/dev/null", O_RDONLY | O_CLOEXEC) }
        defer { extra.forEach { close($0) } }
        let after = try sample(metrics.exposition(), "cryptod_process_open_fds")
        #expect(after >= before + 5 - 2, "other tests run concurrently and may close a few descriptors")

        #expect(
            samples(text, "cryptod_build_info") == [
                #"cryptod_build_info{process="ingestor-binance",version="0.2.0",commit="deadbee"} 1.0"#
            ])
        #expect(CryptodMetrics.contentType == "text/plain; version=0.0.4; charset=utf-8")
    }
}

@Suite("ProcessStatistics parsers")
struct ProcessStatisticsTests {
    @Test("starttime is field 22, counted after the last ')' of the command name")
    func startTicks() {
        let stat = "4242 (cryptod) (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 7 0 123456 1000 200"
        #expect(ProcessStatistics.parseStartTicks(stat: stat) == 123_456)
        #expect(ProcessStatistics.parseStartTicks(stat: "4242 (short) S 1") == nil)
    }

    @Test("utime and stime are fields 14 and 15; meminfo's MemTotal and MemAvailable are in kB")
    func cpuAndMemory() {
        let stat = "4242 (cryptod) (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 7 0 123456 1000 200"
        #expect(ProcessStatistics.parseCPUTicks(stat: stat) == 8)
        #expect(ProcessStatistics.parseCPUTicks(stat: "4242 (short) S 1") == nil)
        let meminfo = "MemTotal:       16384 kB\nMemFree:    100 kB\nMemAvailable:    4096 kB\n"
        let memory = ProcessStatistics.parseMemInfo(meminfo)
        #expect(memory?.total == 16384 * 1024 && memory?.available == 4096 * 1024)
        #expect(ProcessStatistics.parseMemInfo("MemTotal: 1 kB\n") == nil)
    }

    @Test("statm's second field is the resident page count; /proc/stat's btime is the boot time")
    func statmAndBootTime() {
        #expect(ProcessStatistics.parseResidentPages(statm: "5000 1234 300 10 0 900 0\n") == 1234)
        #expect(ProcessStatistics.parseResidentPages(statm: "") == nil)
        #expect(
            ProcessStatistics.parseBootTime(procStat: "cpu 1 2 3\nintr 5\nbtime 1763800000\nprocesses 9\n")
                == 1_763_800_000)
        #expect(ProcessStatistics.parseBootTime(procStat: "cpu 1 2 3\n") == nil)
    }
}
