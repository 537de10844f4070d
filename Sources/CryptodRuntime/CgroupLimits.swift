/// The memory and CPU limits of this process's control groups, for the memory and CPU alerts.
///
/// Under systemd (`MemoryMax=`, `CPUQuota=`), Docker or Kubernetes the machine's MemTotal and online cores
/// overstate what cryptod may use: the kernel OOM-kills at the cgroup's limit and throttles at its quota
/// long before the machine is full. So the reported memory is the tighter of the machine and every cgroup
/// on the way from this process's up to the root, and the reported cores are the smallest quota. Both
/// cgroup v2 (`memory.max`, `memory.current`, `cpu.max`) and v1 (`memory.limit_in_bytes`,
/// `memory.usage_in_bytes`, `cpu.cfs_quota_us`) are read; a file that is absent counts as no limit.
///
/// The parsers take text and a file reader, so the table tests run them over made-up hierarchies.
package enum CgroupLimits {
    /// One mounted cgroup hierarchy of `/proc/self/mountinfo`.
    package struct Mount: Equatable, Sendable {
        /// 2 for the unified hierarchy, 1 for a v1 controller hierarchy.
        package var version: Int
        /// The v1 controllers mounted there (`memory`, `cpu`, `cpuacct`, ...); empty for v2.
        package var controllers: Set<String>
        /// The mount's root inside the hierarchy (field 4; not `/` inside some containers).
        package var root: String
        package var mountPoint: String

        package init(version: Int, controllers: Set<String>, root: String, mountPoint: String) {
            self.version = version
            self.controllers = controllers
            self.root = root
            self.mountPoint = mountPoint
        }
    }

    /// Memory of one cgroup level that has a limit.
    package struct MemoryLevel: Equatable, Sendable {
        package var limit: Int64
        /// Usage minus inactive file pages: what the kernel cannot simply drop before it OOM-kills.
        package var workingSet: Int64

        package init(limit: Int64, workingSet: Int64) {
            self.limit = limit
            self.workingSet = workingSet
        }
    }

    /// Memory in the shape of MemTotal/MemAvailable, in bytes.
    package typealias Memory = (total: Int64, available: Int64)

    /// Memory in the shape of MemTotal/MemAvailable: the tighter of the machine's and every limited level's.
    ///
    /// - Parameters:
    ///   - machine: MemTotal and MemAvailable of `/proc/meminfo`.
    ///   - levels: the cgroup levels that have a memory limit.
    /// - Returns: The pair whose used fraction is the highest, so the memory alert sees the nearest OOM.
    package static func tightest(machine: Memory, levels: [MemoryLevel]) -> Memory {
        var best = machine
        var bestUsed = usedFraction(total: machine.total, available: machine.available)
        for level in levels where level.limit > 0 {
            // A limit above the machine's memory limits nothing the machine does not already.
            guard level.limit < machine.total else { continue }
            let available = max(0, level.limit - level.workingSet)
            let used = usedFraction(total: level.limit, available: available)
            if used > bestUsed {
                best = (level.limit, available)
                bestUsed = used
            }
        }
        return best
    }

    private static func usedFraction(total: Int64, available: Int64) -> Double {
        total > 0 ? 1 - Double(available) / Double(total) : 0
    }

    /// The memory levels and the smallest CPU quota (in cores) of this process's cgroups.
    ///
    /// - Parameters:
    ///   - membership: the text of `/proc/self/cgroup`.
    ///   - mountInfo: the text of `/proc/self/mountinfo`.
    ///   - read: reads a cgroup file; nil when it does not exist or cannot be read.
    package static func read(
        membership: String, mountInfo: String, read: (String) -> String?
    ) -> (memory: [MemoryLevel], cpuQuotaCores: Double?) {
        let mounts = parseMounts(mountInfo)
        let groups = parseMembership(membership)
        var memory: [MemoryLevel] = []
        var quota: Double?
        func lower(_ cores: Double?) {
            guard let cores else { return }
            quota = min(quota ?? cores, cores)
        }
        for mount in mounts {
            let path: String?
            if mount.version == 2 {
                path = groups.first { $0.controllers.isEmpty }?.path
            } else {
                path = groups.first { !$0.controllers.isDisjoint(with: mount.controllers) }?.path
            }
            guard let path else { continue }
            for directory in levels(of: path, in: mount) {
                if mount.version == 2 {
                    if let limit = read(directory + "/memory.max").flatMap(parseLimit),
                        let current = read(directory + "/memory.current").flatMap(parseLimit)
                    {
                        let inactive = read(directory + "/memory.stat").flatMap { statValue($0, "inactive_file") }
                        memory.append(MemoryLevel(limit: limit, workingSet: max(0, current - (inactive ?? 0))))
                    }
                    lower(read(directory + "/cpu.max").flatMap(parseCPUMax))
                } else {
                    if mount.controllers.contains("memory"),
                        let limit = read(directory + "/memory.limit_in_bytes").flatMap(parseLimit),
                        let usage = read(directory + "/memory.usage_in_bytes").flatMap(parseLimit)
                    {
                        let stat = read(directory + "/memory.stat")
                        let inactive =
                            stat.flatMap { statValue($0, "total_inactive_file") }
                            ?? stat.flatMap { statValue($0, "inactive_file") }
                        memory.append(MemoryLevel(limit: limit, workingSet: max(0, usage - (inactive ?? 0))))
                    }
                    if mount.controllers.contains("cpu"),
                        let quotaText = read(directory + "/cpu.cfs_quota_us"),
                        let periodText = read(directory + "/cpu.cfs_period_us")
                    {
                        lower(parseV1Quota(quota: quotaText, period: periodText))
                    }
                }
            }
        }
        return (memory, quota)
    }

    /// The directories from the process's cgroup up to the mount point, innermost first.
    package static func levels(of path: String, in mount: Mount) -> [String] {
        var relative = path
        // Inside a container the mount's root is the container's own cgroup, which /proc/self/cgroup names
        // in full: strip it.
        if mount.root != "/" {
            guard relative == mount.root || relative.hasPrefix(mount.root + "/") else { return [] }
            relative = String(relative.dropFirst(mount.root.count))
        }
        var components = relative.split(separator: "/").map(String.init)
        guard !components.contains("..") else { return [] }
        var directories: [String] = []
        while true {
            let suffix = components.isEmpty ? "" : "/" + components.joined(separator: "/")
            directories.append(mount.mountPoint + suffix)
            if components.isEmpty { break }
            components.removeLast()
        }
        return directories
    }

    // MARK: - Parsers

    /// The lines of `/proc/self/cgroup`: `id:controllers:path`, controllers empty for v2.
    package static func parseMembership(_ text: String) -> [(controllers: Set<String>, path: String)] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[2].hasPrefix("/") else { return nil }
            let controllers = Set(fields[1].split(separator: ",").map(String.init).filter { !$0.hasPrefix("name=") })
            // A v1 hierarchy with only a name (name=systemd) holds no controller: not v2, and of no use here.
            if controllers.isEmpty && !fields[1].isEmpty { return nil }
            return (controllers, String(fields[2]))
        }
    }

    /// The cgroup mounts of `/proc/self/mountinfo`.
    package static func parseMounts(_ text: String) -> [Mount] {
        text.split(separator: "\n").compactMap { line in
            let halves = line.split(separator: " - ", maxSplits: 1, omittingEmptySubsequences: false)
            guard halves.count == 2 else { return nil }
            let fields = halves[0].split(separator: " ")
            let tail = halves[1].split(separator: " ")
            guard fields.count >= 5, tail.count >= 3 else { return nil }
            let root = unescape(fields[3])
            let mountPoint = unescape(fields[4])
            switch tail[0] {
            case "cgroup2":
                return Mount(version: 2, controllers: [], root: root, mountPoint: mountPoint)
            case "cgroup":
                let controllers = Set(
                    tail[2].split(separator: ",").map(String.init).filter { ["memory", "cpu"].contains($0) })
                guard !controllers.isEmpty else { return nil }
                return Mount(version: 1, controllers: controllers, root: root, mountPoint: mountPoint)
            default:
                return nil
            }
        }
    }

    /// mountinfo escapes space, tab, newline and backslash as three octal digits.
    private static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
                let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A byte count of `memory.max`, `memory.current` or their v1 counterparts; nil for `max` and for v1's
    /// "unlimited" (a page-rounded 2^63 - 1).
    package static func parseLimit(_ text: String) -> Int64? {
        let value = text.trimmingNewline()
        guard value != "max", let bytes = Int64(value), bytes >= 0, bytes < 1 << 62 else { return nil }
        return bytes
    }

    /// Cores of v2's `cpu.max` (`$MAX $PERIOD`, `max` for none).
    package static func parseCPUMax(_ text: String) -> Double? {
        let fields = text.trimmingNewline().split(separator: " ")
        guard fields.count == 2, let quota = Double(fields[0]), let period = Double(fields[1]), quota > 0, period > 0
        else { return nil }
        return quota / period
    }

    /// Cores of v1's `cpu.cfs_quota_us` (-1 for none) over `cpu.cfs_period_us`.
    package static func parseV1Quota(quota: String, period: String) -> Double? {
        guard let quota = Double(quota.trimmingNewline()), let period = Double(period.trimmingNewline()),
            quota > 0, period > 0
        else { return nil }
        return quota / period
    }

    /// The value of `key` in a `memory.stat` text (`key value` lines).
    package static func statValue(_ text: String, _ key: String) -> Int64? {
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 2, words[0] == key { return Int64(words[1]) }
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingNewline() -> String {
        var text = Substring(self)
        while text.last == "\n" || text.last == " " { text.removeLast() }
        return String(text)
    }
}
