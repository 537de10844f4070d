import Testing

@testable import CryptodGateway

@Suite("Metrics merge")
struct MetricsMergerTests {
    let writer = """
        # HELP cryptod_process_open_fds Number of open file descriptors.
        # TYPE cryptod_process_open_fds gauge
        cryptod_process_open_fds{process="writer"} 12
        # TYPE cryptod_writer_rows_total counter
        cryptod_writer_rows_total{sink="jsonl",process="writer"} 4
        # HELP cryptod_ipc_flush_seconds Flush latency.
        # TYPE cryptod_ipc_flush_seconds histogram
        cryptod_ipc_flush_seconds_bucket{le="0.1",process="writer"} 1
        cryptod_ipc_flush_seconds_bucket{le="+Inf",process="writer"} 2
        cryptod_ipc_flush_seconds_sum{process="writer"} 0.3
        cryptod_ipc_flush_seconds_count{process="writer"} 2

        """
    let gateway = """
        # HELP cryptod_process_open_fds Number of open file descriptors.
        # TYPE cryptod_process_open_fds gauge
        cryptod_process_open_fds{process="gateway"} 30
        # HELP cryptod_ipc_flush_seconds Flush latency.
        # TYPE cryptod_ipc_flush_seconds histogram
        cryptod_ipc_flush_seconds_bucket{le="0.1",process="gateway"} 0
        cryptod_ipc_flush_seconds_bucket{le="+Inf",process="gateway"} 0
        cryptod_ipc_flush_seconds_sum{process="gateway"} 0
        cryptod_ipc_flush_seconds_count{process="gateway"} 0
        # TYPE cryptod_gateway_ws_clients gauge
        cryptod_gateway_ws_clients{process="gateway"} 3.0

        """

    @Test("overlapping families get one HELP and TYPE, then every process's samples")
    func overlapping() {
        let merged = MetricsMerger.merge([writer, gateway])
        #expect(
            merged == """
                # HELP cryptod_process_open_fds Number of open file descriptors.
                # TYPE cryptod_process_open_fds gauge
                cryptod_process_open_fds{process="writer"} 12
                cryptod_process_open_fds{process="gateway"} 30
                # TYPE cryptod_writer_rows_total counter
                cryptod_writer_rows_total{sink="jsonl",process="writer"} 4
                # HELP cryptod_ipc_flush_seconds Flush latency.
                # TYPE cryptod_ipc_flush_seconds histogram
                cryptod_ipc_flush_seconds_bucket{le="0.1",process="writer"} 1
                cryptod_ipc_flush_seconds_bucket{le="+Inf",process="writer"} 2
                cryptod_ipc_flush_seconds_sum{process="writer"} 0.3
                cryptod_ipc_flush_seconds_count{process="writer"} 2
                cryptod_ipc_flush_seconds_bucket{le="0.1",process="gateway"} 0
                cryptod_ipc_flush_seconds_bucket{le="+Inf",process="gateway"} 0
                cryptod_ipc_flush_seconds_sum{process="gateway"} 0
                cryptod_ipc_flush_seconds_count{process="gateway"} 0
                # TYPE cryptod_gateway_ws_clients gauge
                cryptod_gateway_ws_clients{process="gateway"} 3.0

                """)
    }

    @Test("every family header appears exactly once")
    func headersOnce() {
        let merged = MetricsMerger.merge([
            writer, gateway, writer.replacingOccurrences(of: "writer", with: "scheduler"),
        ])
        let types = merged.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
        #expect(types.count == Set(types).count)
        // The scheduler brings one family of its own (cryptod_scheduler_rows_total).
        #expect(types.count == 5)
        #expect(merged.contains(#"cryptod_writer_rows_total{sink="jsonl",process="writer"} 4"#))
        #expect(merged.contains(#"cryptod_scheduler_rows_total{sink="jsonl",process="scheduler"} 4"#))
    }

    @Test("an exact duplicate series is dropped, since Prometheus rejects a scrape that repeats one")
    func duplicates() {
        let merged = MetricsMerger.merge([writer, writer])
        #expect(merged == MetricsMerger.merge([writer]))
    }

    @Test("samples without a TYPE line form their own family; quoted braces do not confuse the series key")
    func untyped() {
        let text = """
            odd_metric{path="a}b c",process="x"} 1
            odd_metric{path="a}b c",process="y"} 2
            """
        #expect(MetricsMerger.merge([text]) == text + "\n")
        #expect(
            MetricsMerger.seriesKey(#"odd_metric{path="a}b c",process="x"} 1"#)
                == #"odd_metric{path="a}b c",process="x"}"#)
    }

    @Test("nothing merges into nothing")
    func empty() {
        #expect(MetricsMerger.merge([]) == "")
        #expect(MetricsMerger.merge(["", "\n"]) == "")
    }
}
