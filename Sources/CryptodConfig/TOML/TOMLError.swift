/// Why a TOML document was rejected, and where.
///
/// `ConfigLoader` turns these into ``ConfigError``s carrying the file name; on its own the description reads
/// `line 3, column 7: duplicate key "port" (first defined at line 2)`.
package struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem: broken syntax, a key or table defined twice, or a value TOML allows but cryptod
    /// does not read (dates and times).
    package enum Kind: Sendable, Equatable {
        case syntax
        case duplicate
        case unsupported
    }

    /// Syntax, redefinition or unsupported value.
    package var kind: Kind
    /// What is wrong, for people.
    package var message: String
    /// Where the problem is.
    package var position: TOMLPosition

    package init(_ kind: Kind, _ message: String, at position: TOMLPosition) {
        self.kind = kind
        self.message = message
        self.position = position
    }

    package var description: String { "\(position): \(message)" }
}

// MARK: - Entry point

/// TOML 1.0 reading for cryptod's configuration.
///
/// Supports comments, bare/quoted/dotted keys, all four string forms with escapes, integers (decimal with `_`,
/// hex, octal, binary), floats (including `inf`/`nan`), booleans, arrays, inline tables, tables and arrays of
/// tables, with TOML's rules on redefinition. Dates and times are rejected (``TOMLError/Kind/unsupported``).
package enum TOML {
    /// Parses a whole document.
    /// - Parameter text: the document (a leading byte-order mark is ignored).
    /// - Returns: the root table; every value carries its line and column.
    /// - Throws: ``TOMLError`` for the first problem found (TOML errors cascade, so later ones would mislead).
    package static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        var parser = TOMLParser(text)
        return try parser.parseDocument()
    }
}
