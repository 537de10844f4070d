import CryptodOps
import Hummingbird

extension RESTAPI {
    /// `GET /api/v1/stream/health`: the overall score and status.
    func streamHealth() async -> Response {
        let snapshot = await ops.snapshot()
        return opsJSON(AlertJSON.shortHealth(snapshot.health))
    }

    /// `GET /api/v1/admin/health/detailed`: every component with its signals and penalties.
    func detailedHealth() async -> Response {
        let snapshot = await ops.snapshot()
        return opsJSON(AlertJSON.detailedHealth(snapshot.health))
    }

    /// `GET /api/v1/admin/alerts`.
    func alerts() async -> Response {
        let snapshot = await ops.snapshot()
        return opsJSON(AlertJSON.alerts(snapshot.alerts, rules: AlertCatalog.rules.count, at: snapshot.time))
    }

    /// `GET /api/v1/admin/performance/recommendations`.
    func recommendations() async -> Response {
        let snapshot = await ops.snapshot()
        return opsJSON(AlertJSON.recommendations(snapshot.recommendations, at: snapshot.time))
    }

    private func opsJSON(_ text: String) -> Response {
        JSONBody.response(.ok, bytes: Array(text.utf8))
    }
}
