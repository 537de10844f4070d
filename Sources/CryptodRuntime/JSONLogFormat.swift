import CryptodModel
import Logging

/// One JSON object per line (`log_format = "json"`, the default).
///
/// Every line has, in this order:
///
/// | Field | Example | Notes |
/// | --- | --- | --- |
/// | `time` | `"2026-11-22T09:18:40.123Z"` | RFC 3339, UTC, milliseconds |
/// | `level` | `"info"` | swift-log level name |
/// | `process` | `"ingestor-binance"` | the process, as named by the supervisor |
/// | `component` | `"cryptod.ingestor.session"` | the `Logger` label |
/// | `message` | `"connected"` | |
/// | `metadata` | `{"symbol":"BTCUSDT","levels":["1","2"]}` | omitted when empty; nested values stay JSON |
/// | `error` | `"connection reset"` | only when the call passed an `error:` |
///
/// Metadata keys are sorted, and keys that name a secret are redacted (see ``LogEncoding``); secrets
/// themselves are redacted at source by `SecretString`. Each line is handed to ``LogOutput`` whole.
package enum JSONLogFormat: LogLineFormat {
    package static func line(
        _ event: LogEvent, at time: Timestamp, process: String, label: String, metadata merged: Logger.Metadata
    ) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(contentsOf: #"{"time":"#.utf8)
        LogEncoding.appendJSONString(time.iso8601(fractionDigits: 3), to: &line)
        line.append(contentsOf: #","level":"#.utf8)
        LogEncoding.appendJSONString(event.level.rawValue, to: &line)
        line.append(contentsOf: #","process":"#.utf8)
        LogEncoding.appendJSONString(process, to: &line)
        line.append(contentsOf: #","component":"#.utf8)
        LogEncoding.appendJSONString(label, to: &line)
        line.append(contentsOf: #","message":"#.utf8)
        LogEncoding.appendJSONString(event.message.description, to: &line)
        if !merged.isEmpty {
            line.append(contentsOf: #","metadata":"#.utf8)
            LogEncoding.appendJSONObject(merged, to: &line)
        }
        if let error = event.error {
            line.append(contentsOf: #","error":"#.utf8)
            LogEncoding.appendJSONString(String(describing: error), to: &line)
        }
        line.append(contentsOf: "}\n".utf8)
        return line
    }
}
