import CryptodConfig
import CryptodFormats
import CryptodIPC
import CryptodModel
import Hummingbird

/// `GET /dashboard/config.json`: what the dashboard page needs to know before it can ask for anything
/// else: where the WebSocket listens (another port than REST), which markets are configured, and whether
/// admin routes are enabled. It carries no secret.
extension RESTAPI {
    /// Seconds between REST polls while the WebSocket `stats` topic is not delivering.
    static let dashboardPollSeconds: Int64 = 2

    func dashboardConfig() -> Response {
        let configuration = configuration()
        let gateway = configuration.gateway
        let wsHost = gateway.wsListen.host
        let wildcard = ["0.0.0.0", "::", "", "*"].contains(wsHost)
        return JSONBody.object { json in
            json.field("ws_port", Int64(gateway.wsListen.port))
            json.field("ws_path", "/ws")
            // The page connects to its own host on ws_port; only when the WebSocket listens on another
            // concrete address than REST does it need the full URL.
            json.key("ws_url")
            if !wildcard, wsHost != gateway.restListen.host {
                let host = wsHost.contains(":") ? "[\(wsHost)]" : wsHost
                json.value("ws://\(host):\(gateway.wsListen.port)/ws")
            } else {
                json.null()
            }
            json.field("admin_enabled", gateway.adminToken != nil)
            json.field("poll_seconds", Self.dashboardPollSeconds)
            json.key("exchanges")
            json.array { json in
                for exchange in configuration.exchanges where exchange.enabled {
                    json.object { json in
                        json.field("exchange", exchange.exchange.rawValue)
                        json.field("default_market", exchange.category.description)
                        json.key("markets")
                        json.array { json in for market in exchange.markets { json.value(market) } }
                        json.key("candle_intervals")
                        json.array { json in
                            for interval in exchange.candleIntervals { json.value(interval.description) }
                        }
                        json.key("channels")
                        json.array { json in for channel in exchange.channels { json.value(channel.rawValue) } }
                    }
                }
            }
            json.field("time", Timestamp(nanoseconds: WallClock.nowNanoseconds()))
        }
    }
}
