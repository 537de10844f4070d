import Metrics
import Prometheus
import Synchronization

/// One process's metrics: swift-metrics backed by a swift-prometheus registry, plus the process metrics
/// every cryptod process exports.
///
/// ## Conventions
///
/// - Names are Prometheus names, `cryptod_<subsystem>_<what>_<unit>` (`cryptod_ingest_messages_total`,
///   `cryptod_writer_flush_seconds`); create metrics with swift-metrics (`Counter(label:dimensions:)`).
/// - Every series carries the label **`process`** (``processLabel``) with the process name (`cryptod`,
///   `writer`, `ingestor-binance`, …). It is added here, for every metric, so the gateway can concatenate
///   the expositions of all processes into one `/metrics` without collisions. It is reserved: a
///   `process` dimension passed by a caller is replaced, never duplicated.
/// - Label values are small closed sets (exchange, market, stream, sink); never symbols of unbounded sets
///   and never secrets.
///
/// ## Process metrics
///
/// `cryptod_process_start_time_seconds`, `cryptod_process_resident_memory_bytes`,
/// `cryptod_process_open_fds` and `cryptod_process_cpu_seconds_total` are read from `/proc` when
/// ``exposition()`` runs, and so are the machine's `cryptod_system_memory_total_bytes`,
/// `cryptod_system_memory_available_bytes`, `cryptod_system_load1`, `cryptod_system_cpu_cores` and
/// `cryptod_system_cpu_limit_cores` (the memory, CPU and overload alerts divide by them; memory and the CPU
/// limit are the process's cgroup's where that is tighter than the machine, see ``CgroupLimits``);
/// `cryptod_build_info` is 1 with `version` and `commit` labels.
package final class CryptodMetrics: Sendable {
    /// The label every series carries.
    package static let processLabel = "process"
    /// The HTTP `Content-Type` of ``exposition()``.
    package static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// What was built: for `cryptod_build_info`.
    package struct BuildInfo: Sendable, Hashable {
        package var version: String
        package var commit: String

        package init(version: String, commit: String) {
            self.version = version
            self.commit = commit
        }
    }

    /// The process name in the `process` label.
    package let process: String
    /// The registry all of this process's metrics live in.
    package let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory writing into ``registry`` and adding the `process` label.
    package let factory: PrometheusMetricsFactory

    private let startTime: Prometheus.Gauge
    private let residentMemory: Prometheus.Gauge
    private let openFileDescriptors: Prometheus.Gauge
    private let cpuSeconds: Prometheus.Counter
    /// The CPU seconds already added to ``cpuSeconds`` (a Prometheus counter only grows by increments).
    private let cpuSecondsReported = Mutex<Double>(0)
    private let memoryTotal: Prometheus.Gauge
    private let memoryAvailable: Prometheus.Gauge
    private let loadAverage: Prometheus.Gauge
    private let cpuCores: Prometheus.Gauge
    private let cpuLimitCores: Prometheus.Gauge

    /// Creates the registry, the factory and the process metrics, without touching swift-metrics' global
    /// state (tests use this, or `withMetricsFactory`, since all test targets share one process).
    ///
    /// - Parameters:
    ///   - process: The process name for the `process` label.
    ///   - build: Version and commit for `cryptod_build_info`.
    package init(process: String, build: BuildInfo) {
        self.process = process
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (name, Self.labelled(labels, process: process))
        }
        self.factory = factory

        let processLabels = [(Self.processLabel, process)]
        startTime = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "cryptod", subsystem: "process", metricName: "start_time", unitName: "seconds",
                helpText: "Start time of the process since the Unix epoch in seconds."),
            labels: processLabels)
        residentMemory = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "cryptod", subsystem: "process", metricName: "resident_memory", unitName: "bytes",
                helpText: "Resident memory size in bytes."),
            labels: processLabels)
        openFileDescriptors = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "cryptod", subsystem: "process", metricName: "open", unitName: "fds",
                helpText: "Number of open file descriptors."),
            labels: processLabels)
        cpuSeconds = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "cryptod", subsystem: "process", metricName: "cpu_seconds", unitName: "total",
                helpText: "User and system CPU time spent by the process in seconds."),
            labels: processLabels)
        memoryTotal = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "cryptod", subsystem: "system", metricName: "memory_total", unitName: "bytes",
                helpText:
                    "Memory this process may use in bytes: the machine's (MemTotal) or, where tighter, its cgroup's "
                    + "limit (memory.max)."),
            labels: processLabels)
        memoryAvailable = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "cryptod", subsystem: "system", metricName: "memory_available", unitName: "bytes",
                helpText:
                    "Memory left for new work in bytes: MemAvailable, or the cgroup's limit minus its working set "
                    + "where that is tighter."),
            labels: processLabels)
        loadAverage = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "cryptod", subsystem: "system", metricName: "load1", unitName: "",
                helpText: "The machine's 1-minute load average."),
            labels: processLabels)
        cpuCores = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "cryptod", subsystem: "system", metricName: "cpu_cores", unitName: "",
                helpText: "Online CPU cores of the machine."),
            labels: processLabels)
        cpuLimitCores = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "cryptod", subsystem: "system", metricName: "cpu_limit_cores", unitName: "",
                helpText:
                    "CPU cores this process may use: its cgroup's CPU quota (cpu.max), or the online cores where "
                    + "it has none."),
            labels: processLabels)
        let buildInfo = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "cryptod", metricName: "build", unitName: "info",
                helpText: "Always 1; the labels say which build runs."),
            labels: processLabels + [("version", build.version), ("commit", build.commit)])
        buildInfo.set(Int64(1))
        if let seconds = ProcessStatistics.startTimeSeconds() {
            startTime.set(seconds as Double)
        }
    }

    /// Creates the metrics and makes them swift-metrics' global backend.
    ///
    /// Call once per process, in `main`, before any metric is created; swift-metrics traps on a second
    /// bootstrap.
    ///
    /// - Parameters:
    ///   - process: The process name for the `process` label.
    ///   - build: Version and commit for `cryptod_build_info`.
    /// - Returns: The metrics, whose ``exposition()`` the status socket serves.
    @discardableResult
    package static func bootstrap(process: String, build: BuildInfo) -> CryptodMetrics {
        let metrics = CryptodMetrics(process: process, build: build)
        MetricsSystem.bootstrap(metrics.factory)
        return metrics
    }

    /// Every metric in the Prometheus text exposition format 0.0.4, after refreshing the process metrics.
    ///
    /// - Returns: The text, ready to serve with ``contentType`` or to send as a `MetricsReply`.
    package func exposition() -> String {
        if let bytes = ProcessStatistics.residentMemoryBytes() {
            residentMemory.set(bytes)
        }
        if let count = ProcessStatistics.openFileDescriptors() {
            openFileDescriptors.set(Int64(count))
        }
        if let seconds = ProcessStatistics.cpuSeconds() {
            let increment = cpuSecondsReported.withLock { reported -> Double in
                let increment = max(0, seconds - reported)
                reported = max(reported, seconds)
                return increment
            }
            if increment > 0 { cpuSeconds.increment(by: increment) }
        }
        let cgroup = ProcessStatistics.cgroupLimits()
        if let machine = ProcessStatistics.systemMemory() {
            let memory = CgroupLimits.tightest(machine: machine, levels: cgroup.memory)
            memoryTotal.set(memory.total)
            memoryAvailable.set(memory.available)
        }
        if let load = ProcessStatistics.loadAverage() { loadAverage.set(load) }
        if let cores = ProcessStatistics.cpuCores() {
            cpuCores.set(Int64(cores))
            cpuLimitCores.set(min(Double(cores), cgroup.cpuQuotaCores ?? Double(cores)))
        }
        return registry.emitToString()
    }

    /// `labels` with the reserved `process` label set to `process`, replacing any caller-supplied one.
    static func labelled(_ labels: [(String, String)], process: String) -> [(String, String)] {
        labels.filter { $0.0 != processLabel } + [(processLabel, process)]
    }
}
