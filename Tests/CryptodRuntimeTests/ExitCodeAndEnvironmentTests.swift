import CryptodRuntime
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("ExitCode")
struct ExitCodeTests {
    @Test("the documented values never change")
    func values() {
        #expect(ExitCode.success.rawValue == 0)
        #expect(ExitCode.failure.rawValue == 1)
        #expect(ExitCode.usage.rawValue == 2)
        #expect(ExitCode.unavailable.rawValue == 69)
        #expect(ExitCode.software.rawValue == 70)
        #expect(ExitCode.cannotCreate.rawValue == 73)
        #expect(ExitCode.permissionDenied.rawValue == 77)
        #expect(ExitCode.configuration.rawValue == 78)
        #expect(Set(ExitCode.all.map(\.rawValue)).count == ExitCode.all.count)
    }

    @Test("only EX_CONFIG is a permanent failure")
    func permanent() {
        #expect(ExitCode.all.filter(\.isPermanentFailure) == [.configuration])
    }

    @Test("descriptions name the code")
    func descriptions() {
        #expect(ExitCode.configuration.description == "78 (configuration)")
        #expect(ExitCode(rawValue: 42).description == "42")
        #expect(Set(ExitCode.all.map(\.description)).count == ExitCode.all.count)
    }
}

@Suite("ProcessEnvironment")
struct ProcessEnvironmentTests {
    @Test("current() agrees with getenv")
    func current() {
        let environment = ProcessEnvironment.current()
        #expect(!environment.isEmpty)
        for name in ["PATH", "HOME", "USER", "CRYPTOD_SURELY_UNSET"] {
            #expect(environment[name] == ProcessEnvironment.value(name), "\(name)")
        }
    }

    @Test("withCEnvironment passes sorted NAME=value strings with a NULL terminator")
    func cEnvironment() {
        let strings = ProcessEnvironment.withCEnvironment(["B": "2", "A": "x=y", "C": ""]) { pointer in
            var result: [String] = []
            var index = 0
            while let entry = pointer[index] {
                result.append(String(cString: entry))
                index += 1
            }
            return result
        }
        #expect(strings == ["A=x=y", "B=2", "C="])
    }
}
