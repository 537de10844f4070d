/// An effective configuration value, already checked against its key's type.
///
/// Paths (made absolute), URLs and single choices are `.string`; lists of words or symbols are `.list`;
/// secrets are `.secret`, so printing a value map (or a ``Configuration``) never shows them.
package enum ConfigValue: Sendable, Hashable {
    case bool(Bool)
    case integer(Int)
    case float(Double)
    case string(String)
    case duration(Duration)
    case size(Int)
    case address(ListenAddress)
    case list([String])
    case secret(SecretString)

    /// The value as TOML would spell it: `"1s"`, `"16MiB"`, `["BTCUSDT"]`, `true`.
    package var tomlText: String {
        switch self {
        case .bool(let b): b ? "true" : "false"
        case .integer(let i): String(i)
        case .float(let d): TOMLValue.floatText(d)
        case .string(let s): TOMLValue.quoted(s)
        case .duration(let d): TOMLValue.quoted(DurationSyntax.format(d))
        case .size(let bytes): TOMLValue.quoted(SizeSyntax.format(bytes))
        case .address(let a): TOMLValue.quoted(a.description)
        case .list(let items): "[" + items.map(TOMLValue.quoted).joined(separator: ", ") + "]"
        case .secret(let s): TOMLValue.quoted(s.description)
        }
    }

    /// The value for the generated docs and annotated file: like ``tomlText``, but a built-in default secret
    /// (such as RabbitMQ's `guest:guest`) is written out, as it is in the source anyway.
    package var documentedText: String {
        if case .secret(let s) = self { return TOMLValue.quoted(s.revealed) }
        return tomlText
    }

    // MARK: - Accessors

    // The typed configuration reads values through these. The schema guarantees the case, so a mismatch is a
    // programming error in this module, caught by the tests that load the defaults.

    /// The flag of a `.bool`.
    package var boolValue: Bool {
        guard case .bool(let v) = self else { preconditionFailure("not a bool: \(self)") }
        return v
    }

    /// The number of an `.integer` or `.size`.
    package var intValue: Int {
        switch self {
        case .integer(let v), .size(let v): return v
        default: preconditionFailure("not an integer: \(self)")
        }
    }

    /// The number of a `.float`.
    package var doubleValue: Double {
        guard case .float(let v) = self else { preconditionFailure("not a float: \(self)") }
        return v
    }

    /// The text of a `.string`.
    package var stringValue: String {
        guard case .string(let v) = self else { preconditionFailure("not a string: \(self)") }
        return v
    }

    /// The duration of a `.duration`.
    package var durationValue: Duration {
        guard case .duration(let v) = self else { preconditionFailure("not a duration: \(self)") }
        return v
    }

    /// The address of an `.address`.
    package var addressValue: ListenAddress {
        guard case .address(let v) = self else { preconditionFailure("not an address: \(self)") }
        return v
    }

    /// The secret of a `.secret`.
    package var secretValue: SecretString {
        guard case .secret(let v) = self else { preconditionFailure("not a secret: \(self)") }
        return v
    }

    /// The items of a `.list`.
    package var listValue: [String] {
        guard case .list(let v) = self else { preconditionFailure("not a list: \(self)") }
        return v
    }
}

// MARK: - Secrets

/// A string that must never be printed: API secrets.
///
/// `description`, `debugDescription` and the reflection mirror (used by `dump`, `print` of enclosing values
/// and string interpolation) all show `<redacted>`; only ``revealed`` returns the text, so every use that
/// needs the secret is easy to find.
package struct SecretString: Sendable, Equatable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// What descriptions show instead of a set secret.
    package static let placeholder = "<redacted>"

    private let value: String
    /// What descriptions show instead of the value, when part of it may be shown (a URL without its
    /// password); nil shows only the placeholder.
    private let shown: String?

    package init(_ value: String) {
        self.value = value
        shown = nil
    }

    /// A secret of which `shown` may be printed (it must not contain the secret part).
    package init(_ value: String, shown: String) {
        self.value = value
        self.shown = shown
    }

    /// A URL whose password is the secret: it prints with `<redacted>` in place of the password.
    package static func url(_ text: String) -> SecretString {
        SecretString(text, shown: ConfigValueType.redactingPassword(text))
    }

    // Equal and hashed by the secret alone: how it prints is derived from it.
    package static func == (a: SecretString, b: SecretString) -> Bool { a.value == b.value }
    package func hash(into hasher: inout Hasher) { hasher.combine(value) }

    /// The secret itself, for signing requests.
    package var revealed: String { value }

    package var isEmpty: Bool { value.isEmpty }

    /// Whether printing it hides anything: false when unset, or a URL without a password.
    package var hidesSomething: Bool { !value.isEmpty && shown != value }

    /// `""` when unset (that reveals nothing), the shown part (`amqp://guest:<redacted>@host`) or `<redacted>`.
    package var description: String { value.isEmpty ? "" : shown ?? Self.placeholder }
    package var debugDescription: String { "SecretString(\(description))" }
    package var customMirror: Mirror { Mirror(self, children: ["value": description]) }
}
