import CryptodModel
import Testing

@testable import CryptodSinks

@Suite("COPY text encoding")
struct PostgresCopyTextTests {
    private func line(_ build: (inout PostgresCopyText) -> Void) -> String {
        var copy = PostgresCopyText()
        build(&copy)
        copy.endRow()
        return String(decoding: copy.bytes, as: UTF8.self)
    }

    @Test("text escapes backslash, tab, newline and carriage return; NULL is \\N")
    func escaping() {
        let text = line {
            $0.text("a\\b\tc\nd\re")
            $0.null()
            $0.text(Optional<String>.none)
        }
        #expect(text == "a\\\\b\\tc\\nd\\re\t\\N\t\\N\n")
    }

    @Test("decimals keep their exact text and scale")
    func decimals() {
        let text = line {
            $0.decimal("0.00010000" as ExactDecimal)
            $0.decimal("-12345678901234567890.123456789012345678" as ExactDecimal)
            $0.decimal(Optional<ExactDecimal>.none)
        }
        #expect(text == "0.00010000\t-12345678901234567890.123456789012345678\t\\N\n")
    }

    @Test("timestamps are UTC with microseconds, truncated toward the past, also before 1970")
    func timestamps() {
        let text = line {
            $0.timestamp(Timestamp(nanoseconds: 1_767_225_600_123_456_789))
            $0.timestamp(Timestamp(nanoseconds: -1))
            $0.timestamp(Timestamp(seconds: -6_000_000_000))
        }
        #expect(text == "2026-01-01 00:00:00.123456+00\t1969-12-31 23:59:59.999999+00\t1779-11-13 13:20:00.000000+00\n")
    }

    @Test("integers and booleans")
    func integers() {
        let text = line {
            $0.integer(Int64.min)
            $0.unsigned(UInt64.max)
            $0.integer(Optional<Int64>.none)
            $0.boolean(true)
            $0.boolean(false)
        }
        #expect(text == "-9223372036854775808\t18446744073709551615\t\\N\tt\tf\n")
    }
}
