// MARK: - Mutable tree used while parsing

/// One key of a dotted key or table header, with where it was written.
struct TOMLKeyPart {
    var name: String
    var position: TOMLPosition
}

/// What an entry of a table under construction holds.
enum TOMLNodeEntry {
    case value(TOMLValue)
    case table(TOMLTableNode)
    case tableArray(TOMLTableArrayNode)

    var position: TOMLPosition {
        switch self {
        case .value(let v): v.position
        case .table(let t): t.position
        case .tableArray(let a): a.position
        }
    }
}

/// A `[[name]]` array of tables under construction.
final class TOMLTableArrayNode {
    var tables: [TOMLTableNode] = []
    let position: TOMLPosition

    init(position: TOMLPosition) { self.position = position }
}

/// A table under construction. It is a class because headers re-enter tables created earlier, and the
/// redefinition rules need to remember how each table came to exist (`origin`).
///
/// Never leaves the parser: ``freeze()`` turns the tree into immutable, `Sendable` ``TOMLTable`` values.
final class TOMLTableNode {
    /// How the table came to exist; TOML's redefinition rules depend on it.
    enum Origin {
        /// The document root.
        case root
        /// Created as a parent by a header such as `[a.b]` (for `a`); a later `[a]` may still define it.
        case implicit
        /// Defined by its own `[header]` or `[[header]]`; cannot be defined again or extended by dotted keys.
        case header
        /// Created by dotted keys (`a.b = 1` creates `a`); a `[a]` header may not define it afterwards.
        case dotted
        /// An inline table `{ … }`: complete once written.
        case inline
    }

    var origin: Origin
    var position: TOMLPosition
    private var order: [String] = []
    private var entries: [String: TOMLNodeEntry] = [:]

    init(origin: Origin, position: TOMLPosition) {
        self.origin = origin
        self.position = position
    }

    private func add(_ key: String, _ entry: TOMLNodeEntry) {
        order.append(key)
        entries[key] = entry
    }

    // MARK: - Definitions

    /// Handles `a.b.c = value` written inside this table.
    /// - Parameter prefix: the enclosing header's keys, used only to print full paths in messages.
    func insertKeyValue(_ key: [TOMLKeyPart], _ value: TOMLValue, prefix: [String]) throws(TOMLError) {
        var node = self
        for (i, part) in key.dropLast().enumerated() {
            let path = Self.display(prefix + key[...i].map(\.name))
            switch node.entries[part.name] {
            case nil:
                let child = TOMLTableNode(origin: .dotted, position: part.position)
                node.add(part.name, .table(child))
                node = child
            case .table(let child):
                switch child.origin {
                case .dotted:
                    node = child
                case .implicit:
                    child.origin = .dotted
                    node = child
                case .header, .root, .inline:
                    throw TOMLError(
                        .duplicate,
                        "cannot add to table [\(path)] with dotted keys: it was already defined by a header at line \(child.position.line)",
                        at: part.position)
                }
            case .tableArray(let array):
                throw TOMLError(
                    .duplicate,
                    "cannot use dotted keys into \"\(path)\": it is an array of tables (line \(array.position.line))",
                    at: part.position)
            case .value(let existing):
                throw Self.notATable(path, existing, at: part.position)
            }
        }
        let last = key[key.count - 1]
        if let existing = node.entries[last.name] {
            throw TOMLError(
                .duplicate,
                "duplicate key \"\(Self.display(prefix + key.map(\.name)))\" (first defined at line \(existing.position.line))",
                at: last.position)
        }
        node.add(last.name, .value(value))
    }

    /// Handles a `[a.b.c]` header (called on the root) and returns the table that following keys go into.
    func openTable(_ key: [TOMLKeyPart], at position: TOMLPosition) throws(TOMLError) -> TOMLTableNode {
        let parent = try descend(key.dropLast(), header: key, at: position)
        let last = key[key.count - 1]
        let path = Self.display(key.map(\.name))
        switch parent.entries[last.name] {
        case nil:
            let table = TOMLTableNode(origin: .header, position: position)
            parent.add(last.name, .table(table))
            return table
        case .table(let table):
            switch table.origin {
            case .implicit:
                table.origin = .header
                table.position = position
                return table
            case .header, .root, .inline:
                throw TOMLError(
                    .duplicate, "table [\(path)] is defined twice (first at line \(table.position.line))", at: position)
            case .dotted:
                throw TOMLError(
                    .duplicate, "table [\(path)] was already defined by dotted keys at line \(table.position.line)",
                    at: position)
            }
        case .tableArray(let array):
            throw TOMLError(
                .duplicate,
                "[\(path)] is an array of tables (line \(array.position.line)); add elements with [[\(path)]]",
                at: position)
        case .value(let existing):
            throw Self.notATable(path, existing, at: position)
        }
    }

    /// Handles a `[[a.b.c]]` header (called on the root) and returns the new element table.
    func appendTableArrayElement(_ key: [TOMLKeyPart], at position: TOMLPosition) throws(TOMLError) -> TOMLTableNode {
        let parent = try descend(key.dropLast(), header: key, at: position)
        let last = key[key.count - 1]
        let path = Self.display(key.map(\.name))
        let element = TOMLTableNode(origin: .header, position: position)
        switch parent.entries[last.name] {
        case nil:
            let array = TOMLTableArrayNode(position: position)
            array.tables.append(element)
            parent.add(last.name, .tableArray(array))
        case .tableArray(let array):
            array.tables.append(element)
        case .table(let table):
            throw TOMLError(
                .duplicate, "cannot define [[\(path)]]: \"\(path)\" is already a table (line \(table.position.line))",
                at: position)
        case .value(let existing):
            if case .array = existing.kind {
                throw TOMLError(
                    .duplicate,
                    "cannot append to the static array \"\(path)\" defined at line \(existing.position.line)",
                    at: position)
            }
            throw Self.notATable(path, existing, at: position)
        }
        return element
    }

    /// Walks the leading keys of a header, creating implicit tables and entering the last element of arrays.
    private func descend(
        _ keys: ArraySlice<TOMLKeyPart>, header: [TOMLKeyPart], at position: TOMLPosition
    ) throws(TOMLError) -> TOMLTableNode {
        var node = self
        for (i, part) in keys.enumerated() {
            let path = Self.display(header[...i].map(\.name))
            switch node.entries[part.name] {
            case nil:
                let child = TOMLTableNode(origin: .implicit, position: part.position)
                node.add(part.name, .table(child))
                node = child
            case .table(let child):
                node = child
            case .tableArray(let array):
                node = array.tables[array.tables.count - 1]
            case .value(let existing):
                throw Self.notATable(path, existing, at: position)
            }
        }
        return node
    }

    // MARK: - Freezing

    /// The finished, immutable table.
    func freeze() -> TOMLTable {
        var table = TOMLTable(position: position)
        for key in order {
            switch entries[key]! {
            case .value(let v):
                table.set(key, v)
            case .table(let t):
                table.set(key, TOMLValue(.table(t.freeze()), at: t.position))
            case .tableArray(let a):
                let items = a.tables.map { TOMLValue(.table($0.freeze()), at: $0.position) }
                table.set(key, TOMLValue(.array(items), at: a.position))
            }
        }
        return table
    }

    // MARK: - Messages

    static func display(_ keys: [String]) -> String {
        keys.map(TOMLValue.keyText).joined(separator: ".")
    }

    private static func notATable(_ path: String, _ existing: TOMLValue, at position: TOMLPosition) -> TOMLError {
        if case .table = existing.kind {
            return TOMLError(
                .duplicate,
                "cannot extend the inline table \"\(path)\" (line \(existing.position.line)): inline tables are complete once written",
                at: position)
        }
        return TOMLError(
            .duplicate,
            "\"\(path)\" already holds \(existing.typeNameWithArticle) (line \(existing.position.line)), not a table",
            at: position)
    }
}
