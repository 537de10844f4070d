#if canImport(Glibc)
import Glibc
#endif

enum ProcessIdentity {
    static var pid: Int32 { getpid() }
}

extension CryptodMetrics.BuildInfo {
    /// This build: the package version, and the commit the build scripts export as `CRYPTOD_BUILD_COMMIT`.
    package static var current: CryptodMetrics.BuildInfo {
        CryptodMetrics.BuildInfo(
            version: "0.1.0", commit: ProcessEnvironment.value("CRYPTOD_BUILD_COMMIT") ?? "unknown")
    }
}
