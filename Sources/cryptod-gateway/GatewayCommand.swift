import ArgumentParser
import CryptodGateway
import CryptodRuntime

@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cryptod-gateway",
        abstract:
            "cryptod's gateway: serves the REST API (gateway.rest_listen) and the WebSocket feed (gateway.ws_listen).",
        discussion: ChildArguments.discussion)

    @OptionGroup var arguments: ChildArguments

    func run() async throws {
        let code = await ProcessHost.run(options: arguments.options(name: .gateway)) { GatewayRole(context: $0) }
        throw code.parserExitCode
    }
}
