import CryptodConfig
import CryptodExchanges
import CryptodRuntime

/// Builds an ingestor's market-data sources and job executors from the configuration: the adapter is
/// chosen by exchange in ``ExchangeRegistry``; everything else is shared.
package enum IngestorSources {
    /// - Throws: when the configuration has no section for the process's exchange, or this build has no
    ///   adapter for it.
    package static func make(
        context: ProcessContext
    ) throws -> (sources: [any MarketDataSource], executors: [any JobExecutor]) {
        guard case .ingestor(let exchange) = context.name else { return ([], []) }
        guard let configuration = context.configuration.exchange(exchange) else {
            throw IngestorSetupError(
                "exchange \(exchange) is not in the configuration; add an [exchanges.\(exchange)] section")
        }
        guard let api = ExchangeRegistry.api(for: exchange, bookDepth: configuration.bookDepth) else {
            throw IngestorSetupError(
                "this build has no adapter for \(exchange); supported: \(ExchangeRegistry.supported.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let source = try ExchangeSource(
            api: api, configuration: configuration, caFile: configuration.caFile,
            subscriptionFile: context.configuration.daemon.stateDirectory + "/subscriptions/\(exchange).json",
            logger: context.logger)
        return ([source], [ExchangeJobs(source: source, logger: context.logger)])
    }
}

struct IngestorSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
