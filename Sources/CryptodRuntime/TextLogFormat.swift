import CryptodModel
import Logging

/// Human-readable lines (`log_format = "text"`), for terminals and tests.
///
/// Format: `<time> <level> <process> <component>: <message> key=value key="two words" nested={"a":"b"}`.
/// The message and string values are escaped like JSON strings when they contain spaces, quotes or control
/// characters, so every record stays on one line. Metadata keys are sorted and secret-looking keys redacted,
/// as in ``JSONLogHandler``.
package enum TextLogFormat: LogLineFormat {
    package static func line(
        _ event: LogEvent, at time: Timestamp, process: String, label: String, metadata merged: Logger.Metadata
    ) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(160)
        line.append(contentsOf: time.iso8601(fractionDigits: 3).utf8)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: event.level.rawValue.utf8)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: process.utf8)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: label.utf8)
        line.append(contentsOf: ": ".utf8)
        let message = event.message.description
        if message.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            LogEncoding.appendJSONString(message, to: &line)
        } else {
            line.append(contentsOf: message.utf8)
        }
        for key in merged.keys.sorted() {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            if LogEncoding.isSecretKey(key) {
                line.append(contentsOf: LogEncoding.redacted.utf8)
            } else if let value = merged[key] {
                LogEncoding.appendTextValue(value, to: &line)
            }
        }
        if let error = event.error {
            line.append(contentsOf: " error=".utf8)
            LogEncoding.appendTextValue(.string(String(describing: error)), to: &line)
        }
        line.append(UInt8(ascii: "\n"))
        return line
    }
}
