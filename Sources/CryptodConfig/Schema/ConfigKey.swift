import CryptodModel

/// One entry of the configuration schema: a key with its type, default, documentation, environment variable,
/// and what a change to it means for the running processes.
package struct ConfigKey: Sendable, Equatable {
    /// `daemon`, `gateway`, `exchanges.binance`, …
    package let section: String
    /// `rest_listen`.
    package let name: String
    /// The kind of value and its constraints.
    package let type: ConfigValueType
    /// The value when neither the file nor the environment sets one.
    package let defaultValue: ConfigValue
    /// One or two sentences for the docs and the annotated config file.
    package let doc: String
    /// `CRYPTOD_GATEWAY_REST_LISTEN`; see ``ConfigSchema/environmentName(section:name:)``.
    package let environmentName: String
    /// A change can be applied by the processes that use the key without restarting them.
    package let reloadable: Bool
    /// For `[exchanges.<name>]` keys, the exchange.
    package let exchange: ExchangeID?
    /// The child roles that read the key (an ingestor only for ``exchange``'s keys).
    package let consumers: Set<ProcessRole>
    /// Whether the supervisor itself reads the key.
    package let supervisorUses: Bool
    /// Only a restart of `cryptod` applies a change (the runtime directory and the like).
    package let requiresDaemonRestart: Bool

    /// Declares a key; the environment name is derived from section and name.
    package init(
        section: String, name: String, type: ConfigValueType, defaultValue: ConfigValue, doc: String,
        reloadable: Bool = false, exchange: ExchangeID? = nil,
        consumers: Set<ProcessRole>, supervisorUses: Bool = false, requiresDaemonRestart: Bool = false
    ) {
        self.section = section
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.doc = doc
        self.environmentName = ConfigSchema.environmentName(section: section, name: name)
        self.reloadable = reloadable
        self.exchange = exchange
        self.consumers = consumers
        self.supervisorUses = supervisorUses
        self.requiresDaemonRestart = requiresDaemonRestart
    }

    /// Never printed: redacted in errors, dumps and `config show`.
    package var secret: Bool {
        switch type {
        case .secret, .credentialURL: true
        default: false
        }
    }

    /// `gateway.rest_listen`.
    package var path: String { "\(section).\(name)" }

    /// The path with the exchange replaced by `<name>` (`exchanges.<name>.rest_url`), for grouping in the docs.
    package var genericPath: String { exchange == nil ? path : "exchanges.<name>.\(name)" }

    /// What an error message says is expected for this key.
    package var expectation: String { type.expectation(example: defaultValue) }

    /// The value as shown in messages and dumps: redacted when secret and non-empty.
    package func display(_ text: String) -> String {
        secret ? TOMLValue.quoted(SecretString.placeholder) : text
    }

    /// Whether a change to this key concerns `process`.
    package func affects(_ process: ProcessName) -> Bool {
        guard consumers.contains(process.role) else { return false }
        guard process.role == .ingestor, let exchange else { return true }
        return process.exchange == exchange
    }
}
