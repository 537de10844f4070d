import ArgumentParser
import CryptodConfig
import CryptodSinks
import Foundation
import Logging

/// `cryptoctl migrate`: applies pending PostgreSQL migrations, no daemon needed.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the PostgreSQL schema migrations the writer needs (idempotent; safe beside a running writer).",
        discussion: """
            The database is --database-url, else writer.postgres_url of the configuration in use (found as for \
            check-config; CRYPTOD_WRITER_POSTGRES_URL overrides it). Each migration runs in its own transaction \
            under an advisory lock, so two migrators never apply one twice; a schema that is current is a no-op. \
            Prints the versions applied. Exit 78 when the configuration is invalid, 1 when a migration fails.

            \(CtlExitCode.helpText)
            """)

    @OptionGroup var options: GlobalOptions
    @Option(
        help: ArgumentHelp(
            "PostgreSQL URL (postgres://user@host:port/db); its password is never printed.", valueName: "url"))
    var databaseURL: String?

    func run() async throws {
        let url: String
        if let databaseURL {
            url = databaseURL
        } else {
            let path = options.locator.configFile().path
            do {
                url = try ConfigLoader.load(path: path, environment: ProcessInfo.processInfo.environment).configuration
                    .writer.postgresURL.revealed
            } catch {
                Console.error("cryptoctl: \(path): \(error)")
                throw ExitCode(CtlExitCode.invalidConfiguration.rawValue)
            }
        }
        let logger = Logger(label: "cryptoctl") { _ in SwiftLogNoOpLogHandler() }
        do {
            let applied = try await PostgresMigrator.migrate(url: url, logger: logger)
            Console.output(
                applied.isEmpty
                    ? "schema is current; nothing to apply"
                    : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
        } catch {
            Console.error("cryptoctl: migration failed: \(error)")
            throw ExitCode(CtlExitCode.failed.rawValue)
        }
    }
}
