import CryptodFormats
import Hummingbird

extension RESTAPI {
    /// Requests by route and status with mean and slowest answer times (the Prometheus histograms hold the
    /// distribution).
    func adminMetrics() -> Response {
        let totals = metrics.routeTotals().sorted { $0.key < $1.key }
        return JSONBody.object { json in
            json.key("routes")
            json.array { json in
                for (route, entry) in totals {
                    json.object { json in
                        json.field("route", route)
                        json.field("requests", Int64(entry.count))
                        json.key("by_status")
                        json.object { json in
                            for (status, count) in entry.byStatus.sorted(by: { $0.key < $1.key }) {
                                json.field("\(status)", Int64(count))
                            }
                        }
                        let mean = entry.count == 0 ? 0 : entry.seconds / Double(entry.count)
                        json.field("mean_microseconds", Int64((mean * 1e6).rounded()))
                        json.field("max_microseconds", Int64((entry.slowest * 1e6).rounded()))
                    }
                }
            }
            json.field("markets_with_data", Int64(state.summaries().count))
            json.field("books", Int64(books.markets().count))
            json.field("websocket_clients", Int64(hub.clientCount))
        }
    }

    func webSocketStats() -> Response {
        let limits = hub.limits
        return JSONBody.object { json in
            json.field("clients", Int64(hub.clientCount))
            json.field("max_clients", Int64(limits.maxClients))
            json.field("queue_capacity", Int64(limits.queueCapacity))
            json.field("slow_disconnects", Int64(hub.slowDisconnects))
        }
    }
}
