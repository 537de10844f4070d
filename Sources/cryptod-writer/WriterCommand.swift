import ArgumentParser
import CryptodRuntime
import CryptodWriter

@main
struct WriterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cryptod-writer",
        abstract: "cryptod's writer: receives the ingestors' market data and stores it in the configured sinks.",
        discussion: ChildArguments.discussion)

    @OptionGroup var arguments: ChildArguments

    func run() async throws {
        let code = await ProcessHost.run(options: arguments.options(name: .writer)) { try WriterRole(context: $0) }
        throw code.parserExitCode
    }
}
