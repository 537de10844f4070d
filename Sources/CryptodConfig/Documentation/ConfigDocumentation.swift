import CryptodModel

/// Generates the annotated `etc/cryptod.toml` and the key reference in `docs/configuration.md` from the
/// schema, so the documentation cannot drift from the code (tests compare the committed files).
package enum ConfigDocumentation {
    /// How to regenerate the committed files after a schema change.
    package static let regenerateCommand =
        "CRYPTOD_REGENERATE_CONFIG_DOCS=1 swift test --scratch-path .build-config --filter CryptodConfigTests.GeneratedFilesTests"

    /// Begin marker of the generated part of `docs/configuration.md`.
    package static let markdownBegin = "<!-- BEGIN GENERATED KEY REFERENCE: do not edit; see the note above -->"
    /// End marker of the generated part.
    package static let markdownEnd = "<!-- END GENERATED KEY REFERENCE -->"

    // MARK: - etc/cryptod.toml

    /// The annotated production configuration: every key, commented out at its default, with its
    /// documentation, type, default, environment variable and reload behaviour.
    package static func annotatedTOML() -> String {
        var out = """
            # cryptod configuration: every key with its documentation, type, default and environment variable.
            #
            # Generated from Sources/CryptodConfig/Schema/ConfigSchema.swift; do not edit by hand. Regenerate with
            #   \(regenerateCommand)
            #
            # Precedence: built-in default < this file < environment variable. A key that is commented out has its
            # default value. Relative paths are resolved against the directory of this file.
            # Durations are strings with a unit: "500ms", "1s", "5m", "1h", "1d". Sizes are bytes, or strings with
            # KiB, MiB, GiB (powers of 1024) or KB, MB, GB (powers of 1000). Lists in environment variables are
            # comma-separated. "Reload: in place" keys change on reload without restarting any process.

            """
        for section in ConfigSchema.sections {
            out += "\n" + String(repeating: "#", count: 100) + "\n"
            if let profile = ExchangeProfile.named(String(section.dropFirst("exchanges.".count))),
                section.hasPrefix("exchanges.")
            {
                out += "# \(ConfigSchema.summary(ofSection: section))\n"
                out +=
                    "# Remove this section to not run \(profile.name) (unless CRYPTOD_EXCHANGES_\(profile.name.uppercased())_ENABLED=true).\n"
            } else {
                out += "# \(ConfigSchema.summary(ofSection: section))\n"
            }
            out += "[\(section)]\n"
            for key in ConfigSchema.keys(inSection: section) {
                out += "\n"
                for line in wrap(key.doc, width: 98) { out += "# \(line)\n" }
                out += "# Type: \(key.type.summary). Default: \(key.defaultValue.documentedText).\n"
                out += "# Env: \(key.environmentName). Reload: \(reloadNote(key)).\n"
                out += "#\(key.name) = \(key.defaultValue.documentedText)\n"
            }
        }
        return out
    }

    // MARK: - docs/configuration.md

    /// The key reference: one table per section; `[exchanges.<name>]` keys appear once, with per-exchange
    /// types and defaults where they differ.
    package static func markdownReference() -> String {
        var out = ""
        let header = "| Key | Type | Default | Environment | Reload | Description |\n|---|---|---|---|---|---|\n"
        for section in ConfigSchema.sections where !section.hasPrefix("exchanges.") {
            out += "\n### `[\(section)]`\n\n\(ConfigSchema.summary(ofSection: section))\n\n" + header
            for key in ConfigSchema.keys(inSection: section) {
                out += row([
                    code(key.name), escape(key.type.summary), code(key.defaultValue.documentedText),
                    code(key.environmentName),
                    reloadNote(key), escape(key.doc),
                ])
            }
        }
        let exchangeKeys = ConfigSchema.keys.filter { $0.exchange != nil }
        let names = exchangeKeys.map(\.name).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        out +=
            "\n### `[exchanges.<name>]`\n\n\(ConfigSchema.summary(ofSection: "exchanges.binance")) "
            + "`<name>` is one of \(ExchangeProfile.all.map { "`\($0.name)`" }.joined(separator: ", ")).\n\n" + header
        for name in names {
            let variants = exchangeKeys.filter { $0.name == name }
            let first = variants[0]
            let onlySome = variants.count < ExchangeProfile.all.count
            let owners = variants.compactMap(\.exchange?.rawValue).joined(separator: ", ")
            out += row([
                code(name),
                perExchange(variants) { escape($0.type.summary) },
                perExchange(variants) { code($0.defaultValue.documentedText) },
                code("CRYPTOD_EXCHANGES_<NAME>_\(name.uppercased())"),
                reloadNote(first).replacing("ingestor-\(first.exchange!.rawValue)", with: "the exchange's ingestor"),
                escape(first.doc) + (onlySome ? " Only for \(owners)." : ""),
            ])
        }
        return out
    }

    // MARK: - Pieces

    /// How a reload treats a change of `key`, in words.
    package static func reloadNote(_ key: ConfigKey) -> String {
        if key.requiresDaemonRestart { return "restart cryptod" }
        if key.reloadable { return "in place" }
        let affected = ProcessName.all.filter { key.affects($0) }
        if key.name == "enabled" {
            // The section's own process starts or stops; other readers (the scheduler for exchanges) restart.
            let own = affected.filter {
                $0.exchange == key.exchange && (key.exchange != nil || $0.description == key.section)
            }
            let others = affected.filter { !own.contains($0) }
            return "starts or stops " + list(own) + (others.isEmpty ? "" : "; restarts " + list(others))
        }
        if affected.count == ProcessName.all.count { return "restarts every process" }
        return "restarts " + list(affected)
    }

    private static func list(_ processes: [ProcessName]) -> String {
        let names = processes.map { $0.exchange == nil ? "the \($0)" : $0.description }
        return names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }

    /// One value when every exchange has the same, otherwise `binance: …; bybit: …`.
    private static func perExchange(_ keys: [ConfigKey], _ render: (ConfigKey) -> String) -> String {
        let rendered = keys.map(render)
        if Set(rendered).count == 1 { return rendered[0] }
        return zip(keys, rendered).map { "\($0.exchange!.rawValue): \($1)" }.joined(separator: "; ")
    }

    private static func row(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |\n" }
    private static func escape(_ text: String) -> String { text.replacing("|", with: "\\|") }
    private static func code(_ text: String) -> String { "`" + escape(text) + "`" }

    /// Greedy word wrap for comment blocks.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
