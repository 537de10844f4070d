#if canImport(Glibc)
import Glibc
#endif

enum ProcessInfoCompat {
    static var pid: Int32 { getpid() }
}
