#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Facts about this process read from `/proc/self` at scrape time, for ``CryptodMetrics``.
///
/// Each reader returns nil when `/proc` is unavailable or unreadable (e.g. a restrictive `ProcSubset=`), and
/// the metric is then left at its previous value rather than reporting a made-up one.
package enum ProcessStatistics {
    /// Resident set size in bytes: the second field of `/proc/self/statm` (pages) times the page size.
    package static func residentMemoryBytes() -> Int64? {
        guard let text = readSmallFile("/proc/self/statm") else { return nil }
        return parseResidentPages(statm: text).map { $0 * Int64(sysconf(Int32(_SC_PAGESIZE))) }
    }

    /// Open file descriptors: the entries of `/proc/self/fd`, minus the one used to list them.
    package static func openFileDescriptors() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDot { count += 1 }
        }
        return max(count - 1, 0)
    }

    /// When this process started, in seconds since the Unix epoch, from `/proc/self/stat` and `/proc/stat`.
    package static func startTimeSeconds() -> Double? {
        guard let stat = readSmallFile("/proc/self/stat"), let ticks = parseStartTicks(stat: stat),
            let system = readSmallFile("/proc/stat"), let bootTime = parseBootTime(procStat: system)
        else { return nil }
        let ticksPerSecond = sysconf(Int32(_SC_CLK_TCK))
        guard ticksPerSecond > 0 else { return nil }
        return Double(bootTime) + Double(ticks) / Double(ticksPerSecond)
    }

    /// User plus system CPU time of this process in seconds: fields 14 and 15 of `/proc/self/stat`.
    package static func cpuSeconds() -> Double? {
        guard let stat = readSmallFile("/proc/self/stat"), let ticks = parseCPUTicks(stat: stat) else { return nil }
        let ticksPerSecond = sysconf(Int32(_SC_CLK_TCK))
        guard ticksPerSecond > 0 else { return nil }
        return Double(ticks) / Double(ticksPerSecond)
    }

    /// `MemTotal` and `MemAvailable` of `/proc/meminfo`, in bytes (the machine's, for the memory alert).
    package static func systemMemory() -> (total: Int64, available: Int64)? {
        guard let text = readSmallFile("/proc/meminfo") else { return nil }
        return parseMemInfo(text)
    }

    /// The memory levels and CPU quota of this process's cgroups (``CgroupLimits``); none where `/proc` or
    /// the cgroup files cannot be read.
    package static func cgroupLimits() -> (memory: [CgroupLimits.MemoryLevel], cpuQuotaCores: Double?) {
        guard let membership = readSmallFile("/proc/self/cgroup"),
            let mountInfo = readSmallFile("/proc/self/mountinfo")
        else { return ([], nil) }
        return CgroupLimits.read(membership: membership, mountInfo: mountInfo, read: readSmallFile)
    }

    /// The 1-minute load average of `/proc/loadavg`.
    package static func loadAverage() -> Double? {
        guard let text = readSmallFile("/proc/loadavg") else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }

    /// Online CPU cores.
    package static func cpuCores() -> Int? {
        let count = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return count > 0 ? Int(count) : nil
    }

    // MARK: - Parsers (pure, for tests)

    /// The resident page count from the text of `/proc/<pid>/statm`.
    package static func parseResidentPages(statm: String) -> Int64? {
        let fields = statm.split(separator: " ")
        guard fields.count >= 2 else { return nil }
        return Int64(fields[1])
    }

    /// Field 22 (`starttime`, clock ticks after boot) of `/proc/<pid>/stat`.
    ///
    /// Field 2 is the command name in parentheses and may itself contain spaces and `)`, so counting starts
    /// after the *last* `)`.
    package static func parseStartTicks(stat: String) -> Int64? {
        guard let close = stat.utf8.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let rest = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // rest[0] is field 3 (state), so field 22 is rest[19].
        guard rest.count > 19 else { return nil }
        return Int64(rest[19])
    }

    /// Fields 14 (`utime`) and 15 (`stime`) of `/proc/<pid>/stat`, summed, in clock ticks.
    package static func parseCPUTicks(stat: String) -> Int64? {
        guard let close = stat.utf8.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let rest = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // rest[0] is field 3, so fields 14 and 15 are rest[11] and rest[12].
        guard rest.count > 12, let user = Int64(rest[11]), let system = Int64(rest[12]) else { return nil }
        return user + system
    }

    /// `MemTotal` and `MemAvailable` (kB in the file) of `/proc/meminfo`, in bytes.
    package static func parseMemInfo(_ text: String) -> (total: Int64, available: Int64)? {
        var total: Int64?
        var available: Int64?
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 2, let kilobytes = Int64(words[1]) else { continue }
            if words[0] == "MemTotal:" { total = kilobytes * 1024 }
            if words[0] == "MemAvailable:" { available = kilobytes * 1024 }
        }
        guard let total, let available else { return nil }
        return (total, available)
    }

    /// The `btime` line (boot time, seconds since the epoch) of `/proc/stat`.
    package static func parseBootTime(procStat: String) -> Int64? {
        for line in procStat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Int64(line.dropFirst("btime ".count).trimmingSpaces())
        }
        return nil
    }

    /// Reads a small text file whole (procfs files report size 0, so read until EOF).
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes.append(contentsOf: chunk[0..<count])
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 {
                return nil
            } else {
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " || text.last == "\n" { text.removeLast() }
        return text
    }
}
