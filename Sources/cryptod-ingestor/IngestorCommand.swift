import ArgumentParser
import CryptodConfig
import CryptodIngestor
import CryptodRuntime

@main
struct IngestorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cryptod-ingestor",
        abstract:
            "cryptod's ingestor for one exchange: pulls its market data and streams it to the writer and the gateway.",
        discussion: ChildArguments.discussion)

    @Option(help: "The exchange this ingestor serves: binance, bybit or whitebit.")
    var exchange: String

    @OptionGroup var arguments: ChildArguments

    func validate() throws {
        guard ProcessName("ingestor-\(exchange)") != nil else {
            throw ValidationError("unknown exchange \(exchange); expected one of binance, bybit, whitebit")
        }
    }

    func run() async throws {
        let name = ProcessName("ingestor-\(exchange)")!
        let code = await ProcessHost.run(options: arguments.options(name: name)) { context in
            let (sources, executors) = try IngestorSources.make(context: context)
            return try IngestorRole(context: context, sources: sources, executors: executors)
        }
        throw code.parserExitCode
    }
}
