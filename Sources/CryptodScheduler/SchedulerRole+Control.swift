import CryptodIPC
import CryptodModel
import CryptodRuntime
import CryptodSinks
import CryptodWire
import Foundation

/// History commands relayed by cryptod from `cryptoctl` and the gateway: `backfill`, `jobs`, `cancelJob`,
/// `capacity` and `coverage`. Replies carry JSON (docs/history.md) so both can render them.
extension SchedulerRole {
    package func control(_ request: ControlRequest) async -> ControlReply? {
        func reply(_ result: ControlReply.Result, _ message: String) -> ControlReply {
            ControlReply(
                requestID: request.requestID, result: result, message: message,
                serverTime: Timestamp(nanoseconds: WallClock.nowNanoseconds()))
        }
        func json(_ object: Any) -> ControlReply {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
            return reply(.ok, String(decoding: data, as: UTF8.self))
        }
        let now = WallClock.nowNanoseconds() / 1_000_000
        switch request.command {
        case .capacity:
            let argument = (try? JSONSerialization.jsonObject(with: Data(request.argument.utf8))) as? [String: Any]
            guard let argument, (argument["optimize"] as? Bool) == true else {
                return json(["exchanges": capacityJSON(now: now)])
            }
            // {"optimize":true,"exchange":"binance"?}: re-plan from the latest reports, answer before and after.
            var only: ExchangeID?
            if let name = argument["exchange"] as? String {
                guard let exchange = exchanges.first(where: { $0.rawValue == name }) else {
                    let accepted = exchanges.map(\.rawValue).joined(separator: ", ")
                    return reply(
                        .invalidRequest,
                        "exchange \"\(name.prefix(40))\" is not enabled; accepted: \(accepted.isEmpty ? "none" : accepted)"
                    )
                }
                only = exchange
            }
            return json(["optimized": optimizeCapacity(only).map { Self.optimizedJSON($0, now: now) }])
        case .backfill, .jobs, .cancelJob, .coverage:
            guard let backfills else {
                return reply(
                    .failed,
                    "history needs PostgreSQL: add \"postgres\" to writer.sinks (and set writer.postgres_url), then restart"
                )
            }
            do {
                switch request.command {
                case .backfill:
                    switch BackfillRequest.parse(request.argument, exchanges: exchanges, now: now) {
                    case .failure(let problem): return reply(.invalidRequest, problem.message)
                    case .success(let parsed):
                        let record = try await backfills.start(parsed)
                        return json(Self.jobJSON(record, rate: nil))
                    }
                case .jobs:
                    if let id = Self.jobID(request.argument) {
                        guard let record = try await backfills.job(id) else {
                            return reply(.invalidRequest, "no backfill job \(id); `cryptoctl jobs` lists them")
                        }
                        return json(Self.jobJSON(record, rate: backfills.rate(of: record)))
                    }
                    let records = try await backfills.jobs()
                    return json(["jobs": records.map { Self.jobJSON($0, rate: backfills.rate(of: $0)) }])
                case .cancelJob:
                    guard let id = Self.jobID(request.argument) else {
                        return reply(.invalidRequest, "cancel-job needs {\"id\":N}; `cryptoctl jobs` lists the ids")
                    }
                    guard let record = try await backfills.cancel(id) else {
                        return reply(.invalidRequest, "no backfill job \(id); `cryptoctl jobs` lists them")
                    }
                    return json(Self.jobJSON(record, rate: nil))
                default:
                    switch BackfillRequest.parse(request.argument, exchanges: exchanges, now: now) {
                    case .failure(let problem): return reply(.invalidRequest, problem.message)
                    case .success(let parsed):
                        let grid = CandleGrid(parsed.interval)
                        // Widened to whole candles, so a segment never ends inside one.
                        guard let range = TimeRange(start: parsed.from, end: parsed.to).map(grid.aligned) else {
                            return reply(.invalidRequest, "the range is empty")
                        }
                        let coverage = try await backfills.coverage(
                            of: parsed.market, interval: parsed.interval, range: range)
                        return json(Self.coverageJSON(coverage, request: parsed, range: range))
                    }
                }
            } catch {
                return reply(.failed, "\(error)")
            }
        default:
            return nil
        }
    }

    private static func jobID(_ argument: String) -> Int64? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(argument.utf8))) as? [String: Any] else {
            return nil
        }
        if let number = object["id"] as? NSNumber { return number.int64Value }
        if let text = object["id"] as? String { return Int64(text) }
        return nil
    }

    private static func time(_ milliseconds: Int64?) -> Any {
        guard let milliseconds else { return NSNull() }
        return Timestamp(milliseconds: milliseconds).iso8601()
    }

    static func jobJSON(
        _ record: BackfillJobRecord, rate: (candlesPerSecond: Double, etaSeconds: Int64?)?
    ) -> [String: Any] {
        [
            "id": record.id, "exchange": record.market.exchange.rawValue, "market": record.market.type.description,
            "symbol": record.market.symbol, "timeframe": record.interval.description,
            "from": time(record.rangeStart), "to": time(record.rangeEnd), "from_ms": record.rangeStart,
            "to_ms": record.rangeEnd, "order": record.order, "state": record.state.rawValue,
            "pages_total": record.chunksTotal, "pages_done": record.chunksDone, "candles": record.candles,
            // A rate is a measurement, not a price: a float is fine here.
            "candles_per_second": rate.map { ($0.candlesPerSecond * 10).rounded() / 10 } ?? NSNull(),
            "eta_seconds": rate?.etaSeconds ?? NSNull(), "message": record.message,
            "created_at": time(record.createdAt), "started_at": time(record.startedAt),
            "finished_at": time(record.finishedAt),
        ]
    }

    static func coverageJSON(_ coverage: Coverage, request: BackfillRequest, range: TimeRange) -> [String: Any] {
        let known = coverage.known(in: range)
        let grid = CandleGrid(request.interval)
        return [
            "exchange": request.market.exchange.rawValue, "market": request.market.type.description,
            "symbol": request.market.symbol, "timeframe": request.interval.description, "from": time(range.start),
            "to": time(range.end),
            "known_percent": known.total == 0 ? 100 : Double(known.known * 1000 / known.total) / 10,
            "segments": coverage.segments(in: range).map { segment in
                [
                    "from": time(segment.range.start), "to": time(segment.range.end), "from_ms": segment.range.start,
                    "to_ms": segment.range.end, "state": segment.state.rawValue,
                    "candles": grid.count(in: segment.range),
                ] as [String: Any]
            },
        ]
    }

    static func planJSON(_ plan: CapacityPlan) -> [String: Any] {
        [
            "budget": plan.budgetName ?? NSNull(), "window": plan.window.rawValue,
            "adaptive_delay_ms": plan.adaptiveDelayMilliseconds, "next_page_delay_ms": plan.nextPageDelayMilliseconds,
            "pages_per_minute": plan.pagesPerMinute,
        ]
    }

    static func optimizedJSON(
        _ entry: (report: CapacityReportMessage, before: AdaptiveDelay, after: AdaptiveDelay), now: Int64
    ) -> [String: Any] {
        let before = CapacityPlan.make(report: entry.report, delay: entry.before, now: now)
        let after = CapacityPlan.make(report: entry.report, delay: entry.after, now: now)
        return [
            "exchange": entry.report.exchange.rawValue, "reported_at": time(entry.report.time.milliseconds),
            "before": planJSON(before), "after": planJSON(after), "changed": before != after,
        ]
    }

    private func capacityJSON(now: Int64) -> [[String: Any]] {
        capacityReports().map { report, delay in
            [
                "exchange": report.exchange.rawValue, "reported_at": Self.time(report.time.milliseconds),
                "adaptive_delay_ms": delay.currentMilliseconds, "rate_limit_signals": delay.consecutiveSignals,
                "budgets": report.budgets.map { budget -> [String: Any] in
                    let state = BudgetState(
                        used: budget.used, budget: budget.budget, windowStart: budget.windowStart.milliseconds,
                        resetAt: budget.resetAt.milliseconds, blockedUntil: budget.blockedUntil?.milliseconds)
                    let placement = WindowPlanner.place(
                        cost: 1, queuedAhead: 0, budget: state, now: now, extraDelay: delay.currentMilliseconds)
                    return [
                        "name": budget.name, "used": budget.used, "budget": budget.budget, "limit": budget.limit,
                        "resets_at": Self.time(budget.resetAt.milliseconds),
                        "blocked_until": Self.time(budget.blockedUntil?.milliseconds),
                        "window": placement.window.rawValue, "next_request_delay_ms": placement.delayMilliseconds,
                        "summary":
                            "\(report.exchange) \(budget.name) \(budget.used)/\(budget.limit), window \(placement.window.rawValue), delay \(Double(placement.delayMilliseconds) / 1000)s",
                    ]
                },
            ]
        }
    }
}
