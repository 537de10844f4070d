/// A label set: name → value (never `__name__`; the metric name is kept apart).
package typealias Labels = [String: String]

/// One sample of a Prometheus text exposition: metric name, labels and value. Histograms come as their
/// `_bucket` (with `le`), `_sum` and `_count` samples, summaries as quantile samples plus `_sum`/`_count`,
/// exactly as the text format spells them.
package struct Sample: Sendable, Hashable {
    package var name: String
    package var labels: Labels
    package var value: Double

    package init(_ name: String, _ labels: Labels = [:], _ value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }
}

/// The Prometheus text exposition format 0.0.4, read into samples.
///
/// Comments (`# HELP`, `# TYPE`) are skipped: a sample's name already says what it is, and the evaluator
/// needs no types. A line that cannot be read is skipped and counted, never fatal: one process's odd line
/// must not blind the alerting for the others.
package enum Exposition {
    package struct Result: Sendable {
        package var samples: [Sample]
        /// Lines that were neither comments nor readable samples.
        package var skippedLines: Int
    }

    package static func parse(_ text: String) -> Result {
        var samples: [Sample] = []
        var skipped = 0
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if let sample = parseSample(trimmed) {
                samples.append(sample)
            } else {
                skipped += 1
            }
        }
        return Result(samples: samples, skippedLines: skipped)
    }

    /// One sample line: `name{label="value",…} value [timestamp]`.
    package static func parseSample(_ line: Substring) -> Sample? {
        let chars = Array(line.unicodeScalars)
        var index = 0
        var name = ""
        while index < chars.count, isNameCharacter(chars[index], first: name.isEmpty) {
            name.unicodeScalars.append(chars[index])
            index += 1
        }
        guard !name.isEmpty else { return nil }
        var labels: Labels = [:]
        if index < chars.count, chars[index] == "{" {
            index += 1
            while true {
                skipSpaces(chars, &index)
                guard index < chars.count else { return nil }
                if chars[index] == "}" {
                    index += 1
                    break
                }
                var label = ""
                while index < chars.count, isNameCharacter(chars[index], first: label.isEmpty) {
                    label.unicodeScalars.append(chars[index])
                    index += 1
                }
                skipSpaces(chars, &index)
                guard !label.isEmpty, index < chars.count, chars[index] == "=" else { return nil }
                index += 1
                skipSpaces(chars, &index)
                guard index < chars.count, chars[index] == "\"" else { return nil }
                index += 1
                var value = ""
                var closed = false
                while index < chars.count {
                    let character = chars[index]
                    index += 1
                    if character == "\\", index < chars.count {
                        let next = chars[index]
                        index += 1
                        switch next {
                        case "n": value.unicodeScalars.append("\n")
                        case "\\": value.unicodeScalars.append("\\")
                        case "\"": value.unicodeScalars.append("\"")
                        default:
                            value.unicodeScalars.append("\\")
                            value.unicodeScalars.append(next)
                        }
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.unicodeScalars.append(character)
                    }
                }
                guard closed else { return nil }
                labels[label] = value
                skipSpaces(chars, &index)
                if index < chars.count, chars[index] == "," { index += 1 }
            }
        }
        skipSpaces(chars, &index)
        var number = ""
        while index < chars.count, chars[index] != " ", chars[index] != "\t" {
            number.unicodeScalars.append(chars[index])
            index += 1
        }
        guard let value = parseValue(number) else { return nil }
        return Sample(name, labels, value)
    }

    /// A sample value: a Go float, including `+Inf`, `-Inf` and `NaN`.
    package static func parseValue(_ text: String) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }

    private static func isNameCharacter(_ scalar: Unicode.Scalar, first: Bool) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "_", ":": return true
        case "0"..."9": return !first
        default: return false
        }
    }

    private static func skipSpaces(_ chars: [Unicode.Scalar], _ index: inout Int) {
        while index < chars.count, chars[index] == " " || chars[index] == "\t" { index += 1 }
    }
}

/// One scrape of the whole cluster at a time, indexed by metric name.
package struct Scrape: Sendable {
    /// Seconds since the Unix epoch.
    package var time: Double
    package var series: [String: [Sample]]

    package init(time: Double, samples: [Sample]) {
        self.time = time
        var series: [String: [Sample]] = [:]
        for sample in samples { series[sample.name, default: []].append(sample) }
        self.series = series
    }

    package init(time: Double, exposition: String) {
        self.init(time: time, samples: Exposition.parse(exposition).samples)
    }

    package func samples(named name: String) -> [Sample] { series[name] ?? [] }
}

/// The recent scrapes the evaluator looks back over, oldest first, bounded by age and count.
package struct ScrapeHistory: Sendable {
    package private(set) var scrapes: [Scrape] = []
    /// Scrapes older than this (relative to the newest) are dropped.
    package var retention: Double
    /// At most this many scrapes are kept, whatever the interval.
    package var maxScrapes: Int

    package init(retention: Double = 1800, maxScrapes: Int = 2000) {
        self.retention = retention
        self.maxScrapes = maxScrapes
    }

    /// Adds a scrape (ignored if it is not newer than the last) and drops what is too old.
    package mutating func append(_ scrape: Scrape) {
        if let last = scrapes.last, scrape.time <= last.time { return }
        scrapes.append(scrape)
        let oldest = scrape.time - retention
        var drop = 0
        while drop < scrapes.count - 1, scrapes[drop].time < oldest { drop += 1 }
        drop = max(drop, scrapes.count - maxScrapes)
        if drop > 0 { scrapes.removeFirst(drop) }
    }

    package var latest: Scrape? { scrapes.last }

    /// The scrapes with `start <= time <= end`, oldest first (closed on both ends, as Prometheus 2 selects
    /// ranges).
    package func window(from start: Double, through end: Double) -> ArraySlice<Scrape> {
        var low = 0
        var high = scrapes.count
        while low < high {
            let middle = (low + high) / 2
            if scrapes[middle].time < start { low = middle + 1 } else { high = middle }
        }
        var upper = low
        while upper < scrapes.count, scrapes[upper].time <= end { upper += 1 }
        return scrapes[low..<upper]
    }

    /// The newest scrape at or before `time` and not older than `lookback`.
    package func scrape(at time: Double, lookback: Double) -> Scrape? {
        window(from: time - lookback, through: time).last
    }
}
