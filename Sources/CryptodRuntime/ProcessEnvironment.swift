import CSystemShims

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads this process's environment without Foundation.
///
/// Swift 6 refuses to read the C global `environ` directly (it is mutable shared state), so a C shim hands
/// out the pointer. Nothing in cryptod calls `setenv`, which is what would make reading it racy.
package enum ProcessEnvironment {
    /// Every variable of this process, by name. For duplicate names the first wins, as `getenv` does.
    package static func current() -> [String: String] {
        var result: [String: String] = [:]
        guard let entries = cryptod_environment() else { return result }
        var index = 0
        while let entry = entries[index] {
            if let (name, value) = split(String(cString: entry)), result[name] == nil {
                result[name] = value
            }
            index += 1
        }
        return result
    }

    /// One variable, or nil when it is unset.
    ///
    /// - Parameter name: The variable's name.
    /// - Returns: Its value (possibly empty), or nil when unset.
    package static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        return String(cString: raw)
    }

    /// `NAME=value` as a pair; nil for entries without `=` or with an empty name.
    static func split(_ entry: String) -> (String, String)? {
        guard let equals = entry.utf8.firstIndex(of: UInt8(ascii: "=")), equals != entry.utf8.startIndex else {
            return nil
        }
        let name = String(entry[..<equals])
        let value = String(entry[entry.index(after: equals)...])
        return (name, value)
    }

    /// Builds a NULL-terminated `NAME=value` array for `posix_spawn`, calls `body` with it, and frees it.
    ///
    /// Variables are sorted by name so children see the same environment on every start.
    ///
    /// - Parameters:
    ///   - environment: The variables to pass.
    ///   - body: Receives the array; it must not keep the pointer.
    /// - Returns: What `body` returns.
    package static func withCEnvironment<Result>(
        _ environment: [String: String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws -> Result
    ) rethrows -> Result {
        try withCStrings(environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }, body)
    }

    /// Builds a NULL-terminated C string array (an `argv` or `envp`), calls `body` with it, and frees it.
    ///
    /// - Parameters:
    ///   - strings: The strings, in order.
    ///   - body: Receives the array; it must not keep the pointer.
    /// - Returns: What `body` returns.
    package static func withCStrings<Result>(
        _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws -> Result
    ) rethrows -> Result {
        // A nil from strdup would end the array early and silently drop arguments; Swift itself traps on
        // allocation failure, so do the same.
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { string in
            guard let copy = strdup(string) else { fatalError("strdup: out of memory") }
            return copy
        }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return try pointers.withUnsafeBufferPointer { buffer in
            // The buffer is non-empty (it holds at least the NULL terminator), so baseAddress is set.
            try body(buffer.baseAddress!)
        }
    }
}
