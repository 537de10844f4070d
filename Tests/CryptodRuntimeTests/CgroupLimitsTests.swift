import CryptodRuntime
import Testing

/// CgroupLimits over made-up hierarchies: a table of /proc/self/cgroup, /proc/self/mountinfo and the files
/// under the mounts, and the memory levels and CPU quota that must come out.
@Suite("cgroup limits")
struct CgroupLimitsTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var membership: String
        var mountInfo: String
        var files: [String: String]
        var memory: [CgroupLimits.MemoryLevel]
        var cpu: Double?
        var testDescription: String { name }
    }

    static let v2Mount = "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw\n"
    static let hybridMounts = """
        27 25 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw
        31 25 0:28 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        32 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
        33 25 0:30 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
        34 25 0:31 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids

        """

    static let cases: [Case] = [
        Case(
            name: "v2 under systemd: MemoryMax= and CPUQuota=50% on the unit, nothing above it",
            membership: "0::/system.slice/cryptod.service\n", mountInfo: v2Mount,
            files: [
                "/sys/fs/cgroup/system.slice/cryptod.service/memory.max": "536870912\n",
                "/sys/fs/cgroup/system.slice/cryptod.service/memory.current": "300000000\n",
                "/sys/fs/cgroup/system.slice/cryptod.service/memory.stat": "anon 200000000\ninactive_file 50000000\n",
                "/sys/fs/cgroup/system.slice/cryptod.service/cpu.max": "50000 100000\n",
                "/sys/fs/cgroup/system.slice/memory.max": "max\n",
                "/sys/fs/cgroup/system.slice/memory.current": "900000000\n",
                "/sys/fs/cgroup/system.slice/cpu.max": "max 100000\n",
            ],
            memory: [.init(limit: 536_870_912, workingSet: 250_000_000)], cpu: 0.5),
        Case(
            name: "v2: the slice's quota is tighter than the unit's, and both memory levels count",
            membership: "0::/cryptod.slice/cryptod.service\n", mountInfo: v2Mount,
            files: [
                "/sys/fs/cgroup/cryptod.slice/cryptod.service/memory.max": "1000\n",
                "/sys/fs/cgroup/cryptod.slice/cryptod.service/memory.current": "600\n",
                "/sys/fs/cgroup/cryptod.slice/cryptod.service/cpu.max": "200000 100000\n",
                "/sys/fs/cgroup/cryptod.slice/memory.max": "800\n",
                "/sys/fs/cgroup/cryptod.slice/memory.current": "700\n",
                "/sys/fs/cgroup/cryptod.slice/memory.stat": "inactive_file 100\n",
                "/sys/fs/cgroup/cryptod.slice/cpu.max": "25000 100000\n",
            ],
            memory: [.init(limit: 1000, workingSet: 600), .init(limit: 800, workingSet: 600)], cpu: 0.25),
        Case(
            name: "v1 (hybrid): memory and cpu controllers, unlimited parents, name=systemd ignored",
            membership:
                "9:name=systemd:/\n8:pids:/\n4:memory:/cryptod/test\n1:cpu,cpuacct:/cryptod/test\n0::/\n",
            mountInfo: hybridMounts,
            files: [
                "/sys/fs/cgroup/memory/cryptod/test/memory.limit_in_bytes": "209715200\n",
                "/sys/fs/cgroup/memory/cryptod/test/memory.usage_in_bytes": "190000000\n",
                "/sys/fs/cgroup/memory/cryptod/test/memory.stat":
                    "cache 5\ninactive_file 1\ntotal_inactive_file 10000000\n",
                "/sys/fs/cgroup/memory/cryptod/memory.limit_in_bytes": "9223372036854771712\n",
                "/sys/fs/cgroup/memory/cryptod/memory.usage_in_bytes": "190000000\n",
                "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
                "/sys/fs/cgroup/memory/memory.usage_in_bytes": "5000000000\n",
                "/sys/fs/cgroup/cpu,cpuacct/cryptod/test/cpu.cfs_quota_us": "20000\n",
                "/sys/fs/cgroup/cpu,cpuacct/cryptod/test/cpu.cfs_period_us": "100000\n",
                "/sys/fs/cgroup/cpu,cpuacct/cryptod/cpu.cfs_quota_us": "-1\n",
                "/sys/fs/cgroup/cpu,cpuacct/cryptod/cpu.cfs_period_us": "100000\n",
            ],
            memory: [.init(limit: 209_715_200, workingSet: 180_000_000)], cpu: 0.2),
        Case(
            name: "a container: the mount's root is the container's own cgroup, which /proc/self/cgroup names",
            membership: "0::/docker/abc\n",
            mountInfo: "40 30 0:26 /docker/abc /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw\n",
            files: [
                "/sys/fs/cgroup/memory.max": "268435456\n",
                "/sys/fs/cgroup/memory.current": "100\n",
                "/sys/fs/cgroup/cpu.max": "150000 100000\n",
            ],
            memory: [.init(limit: 268_435_456, workingSet: 100)], cpu: 1.5),
        Case(
            name: "no cgroup limit anywhere, or no cgroup files at all",
            membership: "0::/user.slice\n", mountInfo: v2Mount,
            files: [
                "/sys/fs/cgroup/user.slice/memory.max": "max\n",
                "/sys/fs/cgroup/user.slice/memory.current": "123\n",
                "/sys/fs/cgroup/user.slice/cpu.max": "max 100000\n",
            ],
            memory: [], cpu: nil),
        Case(
            name: "a cgroup path outside the mount's root is not guessed at",
            membership: "0::/elsewhere\n",
            mountInfo: "40 30 0:26 /docker/abc /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n",
            files: ["/sys/fs/cgroup/memory.max": "100\n", "/sys/fs/cgroup/memory.current": "50\n"],
            memory: [], cpu: nil),
    ]

    @Test("memory levels and the smallest CPU quota", arguments: cases)
    func limits(_ example: Case) {
        let found = CgroupLimits.read(membership: example.membership, mountInfo: example.mountInfo) {
            example.files[$0]
        }
        #expect(found.memory == example.memory)
        #expect(found.cpuQuotaCores == example.cpu)
    }

    @Test("the memory pair reported is whichever is nearest its limit: the machine or a cgroup")
    func tightest() {
        let machine = (total: Int64(16_000), available: Int64(8_000))  // 50 % used
        let limited = CgroupLimits.tightest(machine: machine, levels: [.init(limit: 1_000, workingSet: 900)])
        #expect(limited.total == 1_000 && limited.available == 100)
        // A cgroup at 40 % of its limit is farther from it than the machine.
        let roomy = CgroupLimits.tightest(machine: machine, levels: [.init(limit: 1_000, workingSet: 400)])
        #expect(roomy.total == 16_000 && roomy.available == 8_000)
        // A limit above the machine's memory limits nothing; a working set over the limit leaves 0.
        let above = CgroupLimits.tightest(machine: machine, levels: [.init(limit: 32_000, workingSet: 31_000)])
        #expect(above.total == 16_000)
        let over = CgroupLimits.tightest(machine: machine, levels: [.init(limit: 1_000, workingSet: 1_200)])
        #expect(over.total == 1_000 && over.available == 0)
        let two = CgroupLimits.tightest(
            machine: machine, levels: [.init(limit: 1_000, workingSet: 700), .init(limit: 800, workingSet: 700)])
        #expect(two.total == 800 && two.available == 100)
    }

    @Test("mountinfo's octal escapes and v1 hierarchies without memory or cpu")
    func mounts() {
        let mounts = CgroupLimits.parseMounts(
            "1 0 0:1 / /sys/fs/cgroup\\040x rw - cgroup2 none rw\n2 0 0:2 / /p rw - cgroup cgroup rw,pids\n"
                + "3 0 0:3 / / rw - ext4 /dev/vda rw\n")
        #expect(mounts == [.init(version: 2, controllers: [], root: "/", mountPoint: "/sys/fs/cgroup x")])
        #expect(CgroupLimits.parseLimit("max\n") == nil && CgroupLimits.parseLimit("4096\n") == 4096)
        #expect(CgroupLimits.parseCPUMax("max 100000") == nil && CgroupLimits.parseCPUMax("50000 100000") == 0.5)
        #expect(CgroupLimits.parseV1Quota(quota: "-1", period: "100000") == nil)
    }
}
