#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where log handlers put finished lines: standard error in production, a closure in tests.
///
/// Every line reaches ``standardError`` as a single `write(2)`. The supervisor and all its children share one
/// stderr (the journal's stream socket, or a terminal), and a single write of a line keeps lines from
/// different processes and threads from interleaving mid-line. On a pipe this is guaranteed up to
/// `PIPE_BUF` (4096 bytes); the journal's socket and terminals keep whole writes together in practice.
package struct LogOutput: Sendable {
    private let sink: @Sendable ([UInt8]) -> Void

    /// Wraps a closure that receives each complete line, newline included.
    ///
    /// - Parameter sink: Called once per line, possibly from several threads at once.
    package init(_ sink: @escaping @Sendable ([UInt8]) -> Void) {
        self.sink = sink
    }

    /// File descriptor 2, one `write(2)` per line.
    package static let standardError = LogOutput { line in writeFully(fd: 2, line) }

    /// Emits one complete line.
    ///
    /// - Parameter line: The encoded line, ending in `\n`.
    package func write(_ line: [UInt8]) {
        sink(line)
    }

    /// Writes all of `bytes`, retrying after signals and short writes.
    ///
    /// Other errors drop the rest of the line: there is nowhere left to report a failure to log.
    static func writeFully(fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                // baseAddress is non-nil: the loop only runs for a non-empty buffer.
                let written = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}

/// `write(2)`, under a name that `LogOutput.write(_:)` does not shadow.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
