/// Merges Prometheus text expositions (format 0.0.4) from several processes into one.
///
/// The format requires all lines of a metric family to be together, under at most one `# HELP` and one
/// `# TYPE`. Concatenating the processes' texts would repeat those headers, so the merger groups samples by
/// family, in the order families first appear, and keeps the first `HELP`/`TYPE` seen for each. Histogram
/// and summary samples (`_bucket`, `_sum`, `_count`) stay with their family. Every process labels its
/// samples with `process="…"`, so samples never collide; an exact duplicate series is dropped anyway,
/// because Prometheus rejects a scrape that repeats one.
package enum MetricsMerger {
    private struct Family {
        var help: Substring?
        var type: Substring?
        var kind: Substring?
        var samples: [Substring] = []
        var series: Set<Substring> = []
    }

    /// The merged exposition, ending with a newline (empty when there is nothing).
    package static func merge(_ expositions: [String]) -> String {
        var order: [Substring] = []
        var families: [Substring: Family] = [:]

        func family(_ name: Substring) -> Family {
            if let known = families[name] { return known }
            order.append(name)
            return Family()
        }

        for exposition in expositions {
            var current: Substring?
            for line in exposition.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix("#") {
                    let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                    guard words.count >= 3, words[0] == "#", words[1] == "HELP" || words[1] == "TYPE" else { continue }
                    let name = words[2]
                    var entry = family(name)
                    if words[1] == "HELP" {
                        if entry.help == nil { entry.help = line }
                    } else if entry.type == nil {
                        entry.type = line
                        entry.kind = words.count > 3 ? words[3] : nil
                    }
                    families[name] = entry
                    current = name
                    continue
                }
                let name = sampleName(line)
                guard !name.isEmpty else { continue }
                let owner: Substring
                if let current, belongs(name, to: current, kind: families[current]?.kind) {
                    owner = current
                } else {
                    owner = name
                    current = name
                }
                var entry = family(owner)
                let key = seriesKey(line)
                if !entry.series.contains(key) {
                    entry.series.insert(key)
                    entry.samples.append(line)
                }
                families[owner] = entry
            }
        }

        var output = ""
        for name in order {
            guard let entry = families[name] else { continue }
            for line in [entry.help, entry.type].compactMap({ $0 }) + entry.samples {
                output += line
                output += "\n"
            }
        }
        return output
    }

    /// Whether a sample named `name` is part of `family`.
    static func belongs(_ name: Substring, to family: Substring, kind: Substring?) -> Bool {
        if name == family { return true }
        guard kind == "histogram" || kind == "summary", name.hasPrefix(family) else { return false }
        let suffix = name.dropFirst(family.count)
        return suffix == "_sum" || suffix == "_count" || (kind == "histogram" && suffix == "_bucket")
    }

    /// The metric name of a sample line: up to `{` or the first space.
    static func sampleName(_ line: Substring) -> Substring {
        let end = line.firstIndex { $0 == "{" || $0 == " " || $0 == "\t" } ?? line.endIndex
        return line[..<end]
    }

    /// The name and label set of a sample line (without value and timestamp). Label values may contain
    /// spaces, braces and escaped quotes, so the label set is scanned with its quoting.
    static func seriesKey(_ line: Substring) -> Substring {
        guard let open = line.firstIndex(of: "{") else { return sampleName(line) }
        var inQuotes = false
        var escaped = false
        var index = line.index(after: open)
        while index < line.endIndex {
            let character = line[index]
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = inQuotes
            } else if character == "\"" {
                inQuotes.toggle()
            } else if character == "}", !inQuotes {
                return line[...index]
            }
            index = line.index(after: index)
        }
        return line
    }
}
