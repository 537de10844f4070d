import Foundation

/// Compares the *shape* of two JSON documents: same key sets for objects, same JSON type per value,
/// same array layouts.
///
/// Arrays are read in one of two ways. A *tuple* (an array inside an array, such as a kline row or
/// a `[price, qty]` level, or an array mixing JSON types, such as WhiteBIT's `params`) must have the
/// same length and the same type at each position. Any other array is a *list of rows*: its length
/// may differ, every actual element must match one of the fixture's element shapes, and every
/// fixture element shape must be matched by some actual element (an empty actual list matches
/// nothing to compare).
enum JSONShape {
    struct Mismatch: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "\(self.path): \(self.reason)" }
    }

    enum Kind: String {
        case object, array, string, number, bool, null
    }

    static func parse(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    static func kind(_ value: Any) -> Kind {
        switch value {
        case is NSNull: return .null
        case let number as NSNumber:
            // Foundation returns booleans as a distinct NSNumber subclass.
            return String(describing: type(of: number)).contains("Boolean") || String(cString: number.objCType) == "c"
                ? .bool : .number
        case is String: return .string
        case is [Any]: return .array
        case is [String: Any]: return .object
        default: return .null
        }
    }

    /// Throws the first difference between `actual` and the `expected` fixture.
    static func check(_ actual: Any, against expected: Any, path: String = "$", insideArray: Bool = false) throws {
        let expectedKind = self.kind(expected)
        let actualKind = self.kind(actual)
        guard expectedKind == actualKind else {
            throw Mismatch(path: path, reason: "expected \(expectedKind.rawValue), got \(actualKind.rawValue)")
        }
        switch expectedKind {
        case .object:
            let e = expected as! [String: Any]
            let a = actual as! [String: Any]
            let missing = Set(e.keys).subtracting(a.keys)
            let extra = Set(a.keys).subtracting(e.keys)
            guard missing.isEmpty && extra.isEmpty else {
                throw Mismatch(path: path, reason: "keys differ; missing \(missing.sorted()), extra \(extra.sorted())")
            }
            for key in e.keys.sorted() {
                try self.check(a[key]!, against: e[key]!, path: "\(path).\(key)")
            }
        case .array:
            let e = expected as! [Any]
            let a = actual as! [Any]
            if insideArray || self.isHeterogeneous(e) {
                guard e.count == a.count else {
                    throw Mismatch(path: path, reason: "tuple length \(a.count), expected \(e.count)")
                }
                for index in e.indices {
                    try self.check(a[index], against: e[index], path: "\(path)[\(index)]", insideArray: true)
                }
            } else {
                guard !e.isEmpty else { return }
                var covered = Set<Int>()
                for (index, element) in a.enumerated() {
                    var matched = false
                    var firstError: (any Error)?
                    for (patternIndex, pattern) in e.enumerated() {
                        do {
                            try self.check(element, against: pattern, path: "\(path)[\(index)]", insideArray: true)
                            matched = true
                            covered.insert(patternIndex)
                            break
                        } catch {
                            if firstError == nil { firstError = error }
                        }
                    }
                    if !matched { throw firstError! }
                }
                if !a.isEmpty && covered.count < Self.distinctShapes(e) {
                    throw Mismatch(path: path, reason: "some element shapes of the fixture never appear")
                }
            }
        default:
            return
        }
    }

    /// Mixed JSON types among elements: read as a tuple.
    private static func isHeterogeneous(_ array: [Any]) -> Bool {
        Set(array.map { self.kind($0) }).count > 1
    }

    /// Number of distinct element shapes (elements whose shapes match count once).
    private static func distinctShapes(_ array: [Any]) -> Int {
        var representatives: [Any] = []
        for element in array
        where !representatives.contains(where: { (try? self.check(element, against: $0, insideArray: true)) != nil }) {
            representatives.append(element)
        }
        return representatives.count
    }
}
