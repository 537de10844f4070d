import CryptodConfig
import CryptodFormats
import CryptodIPC
import CryptodModel
import CryptodOps
import CryptodRuntime
import Foundation
import Hummingbird

/// `/api/v1/stream/*`, the emergency actions and run-time performance settings: every process is asked
/// (or told) through the `stream` control command by ``StreamMonitor``.
extension RESTAPI {
    func streamStats() async -> Response {
        let answers = await stream.ask(topology)
        return JSONBody.object { json in stream.writeStats(answers, into: &json) }
    }

    func streamBuffers() async -> Response {
        let answers = await stream.ask(topology)
        let own = stream.own.report()
        return JSONBody.object { json in
            json.field("mode", own.mode.rawValue)
            json.field("throttle_percent", Int64(own.throttlePercent))
            json.field("stopped", own.stopped)
            json.key("buffers")
            json.array { json in
                for answer in answers {
                    for buffer in answer.report?.buffers ?? [] {
                        json.object { json in
                            json.field("process", answer.process)
                            json.field("kind", buffer.kind.rawValue)
                            json.field("max_size", Int64(buffer.maxSize))
                            json.field("max_age_ms", Int64(buffer.maxAgeMilliseconds))
                            json.field("effective_max_size", Int64(buffer.effectiveMaxSize))
                            json.field("effective_max_age_ms", Int64(buffer.effectiveMaxAgeMilliseconds))
                            json.field("pending", Int64(buffer.pending))
                            json.field("passed_total", buffer.passedTotal)
                            json.field("flushes_total", buffer.flushesTotal)
                            json.field("conflated_total", buffer.conflatedTotal)
                        }
                    }
                }
            }
            writeProblems(answers, into: &json)
        }
    }

    func streamWorkers() async -> Response {
        workersAnswer(await stream.ask(topology))
    }

    private func workersAnswer(_ answers: [StreamMonitor.Answer], said: String? = nil) -> Response {
        JSONBody.object { json in
            if let said { json.field("changed", said) }
            json.key("pools")
            json.array { json in
                for answer in answers {
                    for pool in answer.report?.pools ?? [] {
                        json.object { json in
                            json.field("process", answer.process)
                            json.field("pool", pool.pool)
                            json.field("kind", pool.kind.rawValue)
                            json.field("min", Int64(pool.min))
                            json.field("max", Int64(pool.max))
                            json.field("current", Int64(pool.current))
                            json.field("queue_depth", Int64(pool.queueDepth))
                            json.field("scale_ups_total", pool.scaleUpsTotal)
                            json.field("scale_downs_total", pool.scaleDownsTotal)
                            if let decision = pool.lastDecision { json.field("last_decision", decision) }
                        }
                    }
                }
            }
            writeProblems(answers, into: &json)
        }
    }

    func setWorkers(_ inputs: RouteInputs, who: String) async throws -> Response {
        let object = try await streamBody(inputs)
        guard let kindText = object["kind"] as? String, let kind = WorkerKind(rawValue: kindText) else {
            throw GatewayHTTPError(.badRequest, .badBody, #"the body needs "kind": "fast" or "medium""#)
        }
        var overrides: [String: Int] = [:]
        for bound in ["min", "max"] {
            guard let raw = object[bound] else { continue }
            guard let value = raw as? Int, !(raw is Bool), (0...64).contains(value) else {
                throw GatewayHTTPError(.badRequest, .badBody, "\"\(bound)\" must be an integer 0-64 (0: the mode's)")
            }
            overrides["\(kind.rawValue)_workers_\(bound)"] = value
        }
        if let unknown = object.keys.first(where: { !["kind", "min", "max"].contains($0) }) {
            throw GatewayHTTPError(
                .badRequest, .badBody, "unknown field \"\(unknown.prefix(40))\"; known: kind, min, max")
        }
        guard !overrides.isEmpty else {
            throw GatewayHTTPError(.badRequest, .badBody, #"give "min", "max" or both, e.g. {"kind":"fast","max":6}"#)
        }
        let change = StreamControl.Change(overrides: overrides, by: who)
        let answers = try await tellEveryone(change)
        return workersAnswer(
            answers,
            said: overrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: ", "))
    }

    func webSocketClients() -> Response {
        JSONBody.object { json in
            json.key("clients")
            json.array { json in
                for client in hub.clientInfos() {
                    json.object { json in
                        json.field("id", "c\(client.id)")
                        json.field("remote", client.remote)
                        json.field("connected_at", client.connectedAt)
                        json.field("subscriptions", Int64(client.subscriptions))
                        json.field("stats", client.stats)
                        json.field("queued", Int64(client.queued))
                    }
                }
            }
        }
    }

    func broadcast(_ inputs: RouteInputs, who: String) async throws -> Response {
        let buffer = try await inputs.request.body.collect(upTo: policy.values.maxBody)
        guard
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView), options: []))
                as? [String: Any],
            let message = object["message"]
        else {
            throw GatewayHTTPError(
                .badRequest, .badBody, #"the body must be a JSON object with "message": {"message":{"notice":"…"}}"#)
        }
        guard let encoded = try? JSONSerialization.data(withJSONObject: message, options: [.fragmentsAllowed]) else {
            throw GatewayHTTPError(.badRequest, .badBody, "\"message\" must be a JSON value")
        }
        var json = JSONWriter(capacity: encoded.count + 96)
        json.object { json in
            json.field("type", "broadcast")
            json.field("time", Timestamp(nanoseconds: WallClock.nowNanoseconds()))
        }
        // The message is spliced in as it came (already valid JSON): `{"type":…,"time":…,"message":…}`.
        var bytes = json.bytes
        bytes.removeLast()
        bytes.append(contentsOf: Array(#","message":"#.utf8) + Array(encoded) + [UInt8(ascii: "}")])
        let count = hub.broadcast(ByteBuffer(bytes: bytes))
        logger.notice("admin action: WebSocket broadcast", metadata: ["by": "\(who)", "clients": "\(count)"])
        return JSONBody.object { json in
            json.field("ok", true)
            json.field("clients", Int64(count))
        }
    }

    /// `POST /api/v1/stream/throttle` and `/api/v1/admin/emergency`.
    func throttle(_ inputs: RouteInputs, who: String) async throws -> Response {
        let object = try await streamBody(inputs)
        if let unknown = object.keys.first(where: { !["action", "throttle_percent"].contains($0) }) {
            throw GatewayHTTPError(
                .badRequest, .badBody, "unknown field \"\(unknown.prefix(40))\"; known: action, throttle_percent")
        }
        var change = StreamControl.Change(by: who)
        switch object["action"] as? String {
        case "throttle":
            guard let raw = object["throttle_percent"], let percent = raw as? Int, !(raw is Bool),
                (0...99).contains(percent)
            else {
                throw GatewayHTTPError(
                    .badRequest, .badBody,
                    #"throttle needs "throttle_percent": an integer 0-99, e.g. {"action":"throttle","throttle_percent":90}; "#
                        + #"use {"action":"stop"} to stop"#)
            }
            change.throttlePercent = percent
        case "stop":
            change.action = .stop
        case "restart":
            change.action = .restart
        default:
            throw GatewayHTTPError(
                .badRequest, .badBody, #""action" must be "throttle", "stop" or "restart""#)
        }
        guard object["throttle_percent"] == nil || change.throttlePercent != nil else {
            throw GatewayHTTPError(.badRequest, .badBody, "\"throttle_percent\" goes with \"action\":\"throttle\" only")
        }
        let previous = stream.own.report()
        logger.notice(
            "admin action: stream \(object["action"] as? String ?? "")",
            metadata: ["by": "\(who)", "throttle_percent": "\(change.throttlePercent.map(String.init) ?? "-")"])
        let answers = try await tellEveryone(change)
        let now = stream.own.report()
        return JSONBody.object { json in
            json.field("ok", answers.allSatisfy { $0.report != nil })
            json.field("action", object["action"] as? String ?? "")
            json.field("throttle_percent", Int64(now.throttlePercent))
            json.field("previous_percent", Int64(previous.throttlePercent))
            json.field("stopped", now.stopped)
            json.field(
                "message",
                now.stopped
                    ? "stopped: ticker and order-book updates are held (the latest kept) and backfills paused; "
                        + "candles and trades still flow; {\"action\":\"restart\"} resumes"
                    : now.throttlePercent > 0
                        ? "throttled: \(now.throttlePercent)% of ticker and order-book updates shed per market; "
                            + "candles and trades are never shed; {\"action\":\"restart\"} restores"
                        : "running normally: no throttle, no stop")
            json.key("processes")
            json.array { json in
                for answer in answers {
                    json.object { json in
                        json.field("process", answer.process)
                        json.field("ok", answer.report != nil)
                        if let report = answer.report {
                            json.field("throttle_percent", Int64(report.throttlePercent))
                            json.field("stopped", report.stopped)
                        }
                        if let error = answer.error { json.field("error", error) }
                    }
                }
            }
        }
    }

    /// `POST /api/v1/admin/performance/config`: `[performance]` keys checked like the file, applied everywhere.
    func performanceConfig(_ inputs: RouteInputs, who: String) async throws -> Response {
        let object = try await streamBody(inputs)
        guard !object.isEmpty else {
            throw GatewayHTTPError(.badRequest, .badBody, #"give at least one key, e.g. {"performance.mode":"heavy"}"#)
        }
        var lines: [String] = []
        var names: [String: Any] = [:]
        for (rawKey, value) in object.sorted(by: { $0.key < $1.key }) {
            let path = rawKey.contains(".") ? rawKey : "performance." + rawKey
            guard let key = ConfigSchema.key(path) else {
                throw GatewayHTTPError(
                    .badRequest, .badBody,
                    "unknown key \(rawKey.prefix(60)); the [performance] keys are "
                        + ConfigSchema.keys(inSection: "performance").map(\.name).joined(separator: ", "))
            }
            guard key.section == "performance" else {
                let how =
                    key.reloadable
                    ? "edit the configuration file and run `cryptoctl reload`"
                    : "edit the configuration file and restart the process that uses it"
                throw GatewayHTTPError(
                    .conflict, .rejected,
                    "\(path) is not a run-time setting: \(how) (only [performance] keys apply here)")
            }
            guard !["auto_light_below", "auto_heavy_above"].contains(key.name) else {
                throw GatewayHTTPError(
                    .conflict, .rejected, "\(path) applies from the file only: edit it and run `cryptoctl reload`")
            }
            guard let literal = Self.tomlLiteral(value) else {
                throw GatewayHTTPError(.badRequest, .badBody, "\(path): the value must be a string or an integer")
            }
            lines.append("\(key.name) = \(literal)")
            names[key.name] = value
        }
        // Checked by the same loader as the file, so the messages are the file's.
        do {
            _ = try ConfigLoader.load(
                text: "[performance]\n" + lines.joined(separator: "\n") + "\n", path: "request body",
                environment: [:])
        } catch {
            throw GatewayHTTPError(.badRequest, .badBody, "\(error)")
        }
        var change = StreamControl.Change(by: who)
        for (name, value) in names {
            switch name {
            case "mode": change.mode = (value as? String).flatMap(PerformanceMode.init(rawValue:))
            case "throttle_percent": change.throttlePercent = value as? Int
            default: change.overrides[name] = value as? Int
            }
        }
        logger.notice(
            "admin action: performance settings",
            metadata: ["by": "\(who)", "keys": "\(lines.joined(separator: "; "))"])
        let answers = try await tellEveryone(change)
        let now = stream.own.report()
        return JSONBody.object { json in
            json.field("ok", answers.allSatisfy { $0.report != nil })
            json.key("applied")
            json.array { json in for line in lines { json.value("performance." + line) } }
            json.field("mode", now.mode.rawValue)
            json.field("mode_reason", now.modeReason)
            json.field("note", "in force until the next reload of the configuration file or restart")
            json.key("processes")
            json.array { json in
                for answer in answers {
                    json.object { json in
                        json.field("process", answer.process)
                        json.field("ok", answer.report != nil)
                        if let report = answer.report { json.field("mode", report.mode.rawValue) }
                        if let error = answer.error { json.field("error", error) }
                    }
                }
            }
        }
    }

    static func tomlLiteral(_ value: Any) -> String? {
        if value is Bool { return nil }
        if let number = value as? Int { return String(number) }
        if let text = value as? String {
            guard text.utf8.count <= 64, !text.contains(where: { $0 == "\"" || $0 == "\\" || $0.isNewline }) else {
                return nil
            }
            return "\"\(text)\""
        }
        return nil
    }

    /// Sends `change` to every process; refuses (502) when none answered.
    private func tellEveryone(_ change: StreamControl.Change) async throws -> [StreamMonitor.Answer] {
        let answers = await stream.ask(topology, argument: Self.argument(change))
        guard answers.contains(where: { $0.report != nil }) else {
            throw GatewayHTTPError(
                .badGateway, .rejected,
                "no process took the change: "
                    + answers.map { "\($0.process): \($0.error ?? "?")" }.joined(separator: "; "))
        }
        return answers
    }

    static func argument(_ change: StreamControl.Change) -> String {
        var object: [String: Any] = ["by": change.by]
        if let mode = change.mode { object["mode"] = mode.rawValue }
        if let percent = change.throttlePercent { object["throttle_percent"] = percent }
        if let action = change.action { object["action"] = action.rawValue }
        if !change.overrides.isEmpty { object["overrides"] = change.overrides }
        return json(object)
    }

    private func streamBody(_ inputs: RouteInputs) async throws -> [String: Any] {
        let buffer = try await inputs.request.body.collect(upTo: policy.values.maxBody)
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any]
        else {
            throw GatewayHTTPError(
                .badRequest, .badBody, "the body must be one JSON object (Content-Type: application/json)")
        }
        return object
    }

    private func writeProblems(_ answers: [StreamMonitor.Answer], into json: inout JSONWriter) {
        let problems = answers.filter { $0.error != nil }
        guard !problems.isEmpty else { return }
        json.key("unanswered")
        json.array { json in
            for answer in problems {
                json.object { json in
                    json.field("process", answer.process)
                    json.field("error", answer.error ?? "")
                }
            }
        }
    }
}

extension GatewayRequestContext {
    /// Who asked, for the audit lines: the client's address (the token is never logged).
    var auditName: String { "admin token from \(clientKey)" }
}
