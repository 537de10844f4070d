import ArgumentParser
import CryptodRuntime
import CryptodScheduler

@main
struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cryptod-scheduler",
        abstract: "cryptod's scheduler: sends jobs (backfills, book resyncs) to the ingestors and tracks them.",
        discussion: ChildArguments.discussion)

    @OptionGroup var arguments: ChildArguments

    func run() async throws {
        let code = await ProcessHost.run(options: arguments.options(name: .scheduler)) {
            try SchedulerRole(context: $0)
        }
        throw code.parserExitCode
    }
}
