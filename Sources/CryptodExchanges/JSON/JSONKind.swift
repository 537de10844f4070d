/// The kind of the next JSON value, as ``JSONCursor/peek()`` reports it.
public enum JSONKind: Sendable, Hashable, CustomStringConvertible {
    case object, array, string, number, bool, null

    public var description: String {
        switch self {
        case .object: "object"
        case .array: "array"
        case .string: "string"
        case .number: "number"
        case .bool: "bool"
        case .null: "null"
        }
    }
}
