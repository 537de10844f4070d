/// An object member's name as raw bytes between the quotes (no unescaping: exchanges use ASCII keys).
///
/// Compared against `StaticString` so the hot path never builds a `String` per key; `switch key { case "p": … }`
/// works through `~=`. Valid only inside the ``JSONCursor/object(_:)`` body that handed it out.
public struct JSONKey {
    /// The key's bytes, escapes left as written.
    public let bytes: UnsafeRawBufferPointer

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The key as text (for errors and slow paths).
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Byte-wise equality with a literal name.
    @inline(__always)
    public static func == (key: JSONKey, name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        guard key.bytes.count == count else { return false }
        let literal = name.utf8Start
        var index = 0
        while index < count {
            if key.bytes[index] != literal[index] { return false }
            index += 1
        }
        return true
    }

    /// Lets `switch key { case "e": … }` match literal names.
    @inline(__always)
    public static func ~= (name: StaticString, key: JSONKey) -> Bool { key == name }
}
