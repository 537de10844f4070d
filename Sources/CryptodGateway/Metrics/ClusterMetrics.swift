import CryptodConfig
import CryptodWire
import Logging

/// Collects the metrics of every process for `GET /metrics`: the gateway's own exposition, each other
/// process's answer to `metricsRequest`, and the supervisor's when its control socket answers one.
///
/// A configured process that does not answer contributes nothing and raises
/// `cryptod_gateway_scrape_errors_total{target="<name>"}`; the gateway's own exposition is taken last, so
/// the errors of this scrape already show in it. The supervisor is optional (a deployment under systemd
/// units has none), so its silence is only logged.
struct ClusterMetrics: Sendable {
    let survey: ProcessSurvey
    let metrics: GatewayMetrics
    let ownExposition: @Sendable () -> String
    let logger: Logger

    /// The merged exposition of every process.
    func scrape(_ topology: Topology) async -> String {
        let others = topology.processes.filter { $0.name.description != survey.selfName }
        async let supervisor = scrapeSupervisor(topology.controlSocketPath)
        let texts = await withTaskGroup(of: (Int, String?).self) { group in
            for (index, spec) in others.enumerated() {
                group.addTask {
                    switch await survey.request(.metricsRequest, path: spec.socketPath) {
                    case .success(.metricsReply(let reply)):
                        return (index, reply.exposition)
                    case .success(let other):
                        logger.debug(
                            "process answered a metrics request with something else",
                            metadata: ["process": "\(spec.name)", "type": "\(other.type)"])
                    case .failure(let failure):
                        logger.debug(
                            "process did not answer a metrics request",
                            metadata: ["process": "\(spec.name)", "error": "\(failure)"])
                    }
                    metrics.scrapeFailed(target: spec.name.description)
                    return (index, nil)
                }
            }
            var texts = [String?](repeating: nil, count: others.count)
            for await (index, text) in group { texts[index] = text }
            return texts.compactMap { $0 }
        }
        let supervisorText = await supervisor
        return MetricsMerger.merge([ownExposition()] + texts + (supervisorText.map { [$0] } ?? []))
    }

    private func scrapeSupervisor(_ path: String) async -> String? {
        guard ProcessSurvey.socketExists(path) else { return nil }
        switch await survey.request(.metricsRequest, path: path) {
        case .success(.metricsReply(let reply)):
            return reply.exposition
        case .success(let other):
            logger.debug(
                "the supervisor answered a metrics request with something else", metadata: ["type": "\(other.type)"])
        case .failure(let failure):
            logger.debug("the supervisor did not answer a metrics request", metadata: ["error": "\(failure)"])
        }
        return nil
    }
}
