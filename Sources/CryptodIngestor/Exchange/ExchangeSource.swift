import CryptodConfig
import CryptodExchanges
import CryptodIPC
import CryptodModel
import CryptodWire
import Logging
import NIOSSL
import Synchronization

/// One exchange's market data: its WebSocket connections (sharded within the exchange's limits), a book
/// synchroniser per market, gap-fill after every reconnect, periodic book audits, and the REST calls all
/// of that needs, through the exchange's one rate-limit governor.
///
/// Everything exchange-specific comes from the adapter (``ExchangeAPI``); this type holds no knowledge of
/// any exchange's formats. A resync, a parse error or a gap affects one market only.
package final class ExchangeSource: MarketDataSource, StreamConnectionDelegate, Sendable {
    package let api: any ExchangeAPI
    package let rest: RESTClient
    private let configuration: ExchangeConfig
    private let tls: TLSConfiguration?
    private let logger: Logger
    private let metrics: IngestorMetrics
    private let state: Mutex<State>
    private let work: AsyncStream<Work>
    private let workInput: AsyncStream<Work>.Continuation
    /// Levels per side compared by the periodic REST audit.
    private let auditDepth = 20
    private let auditInterval: Duration
    /// Operator changes to the configured streams, kept on disk.
    let changes: RuntimeSubscriptions?

    private struct CandleKey: Hashable {
        let market: MarketKey
        let interval: CandleInterval
    }

    private struct State {
        var publisher: MarketPublisher?
        var connections: [StreamConnection] = []
        var nextConnectionID = 1
        var books: [MarketKey: BookSynchronizer] = [:]
        var trades: [MarketKey: TradeDeduplicator] = [:]
        var candles: [CandleKey: CandleTracker] = [:]
        var tickers: [MarketKey: TickerMerger] = [:]
        /// Replacement connection id → the connection it replaces (make-before-break).
        var replacing: [Int: StreamConnection] = [:]
        var instruments: [MarketKey: Instrument] = [:]
        var parseErrorsLogged: [ExchangeParseError.Kind: Int] = [:]
        var auditCursor = 0
        /// Audits already reported in the divergence gauge, per market: an audit ahead of its book is
        /// compared later, when the book reaches its update id, so the loop picks those results up too.
        var auditsRecorded: [MarketKey: Int] = [:]
        /// Resyncs already counted in the metric, per market (the synchroniser counts books given up).
        var resyncsCounted: [MarketKey: Int] = [:]
        var publishFailuresLogged = 0
        /// When each connection lost its data (closed), until the gap-fill after its reconnect closes it.
        var gapOpenedAt: [Int: Timestamp] = [:]
        /// Per market, the newest trade published before its connection closed: the fill starts there, not
        /// from whatever the new connection delivered before the fill ran.
        var fillFrom: [MarketKey: TradeMark] = [:]
        /// Likewise the open time of the newest candle published before the close: a final candle lost with
        /// the connection is then fetched even when the next period's first update arrived before the fill.
        var candleFillFrom: [CandleKey: Timestamp] = [:]
        /// Markets whose trades an earlier run stored up to a cursor: filled once their first connection is up.
        var fillAfterRestart: [MarketKey: TradeMark] = [:]
    }

    private enum Work: Sendable {
        case start(StreamConnection)
        case snapshot(MarketKey)
        case gapFill(StreamConnection, only: [StreamSubscription]?)
        case retire(StreamConnection, after: Duration)
    }

    /// - Parameters:
    ///   - caFile: extra PEM trust roots for https/wss (tests against `exchsim --tls`); nil: system store.
    ///   - subscriptionFile: where runtime subscribe/unsubscribe changes are kept across restarts.
    package init(
        api: any ExchangeAPI, configuration: ExchangeConfig, caFile: String?, subscriptionFile: String? = nil,
        logger: Logger, auditInterval: Duration = .seconds(30)
    ) throws {
        self.api = api
        changes = subscriptionFile.map { RuntimeSubscriptions(path: $0) }
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "exchange"] = "\(api.exchange)"
        self.logger = logger
        metrics = IngestorMetrics(exchange: api.exchange)
        let policy: RateLimitPolicy =
            switch api.exchange {
            case .bybit: .bybit(share: configuration.rateLimitShare)
            case .whitebit: .whitebit(share: configuration.rateLimitShare)
            default: .binance(share: configuration.rateLimitShare)
            }
        let gate = GovernorGate(policy: policy, exchange: api.exchange)
        rest = try RESTClient(
            exchange: api.exchange, baseURL: configuration.restURL.absoluteString, caFile: caFile, governor: gate,
            logger: logger)
        if configuration.webSocketURL.scheme == "wss" {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile, !caFile.isEmpty { tls.trustRoots = .file(caFile) }
            self.tls = tls
        } else {
            tls = nil
        }
        self.auditInterval = auditInterval
        state = Mutex(State())
        (work, workInput) = AsyncStream<Work>.makeStream()
    }

    // MARK: - Subscriptions

    /// The streams the configuration asks for.
    package static func subscriptions(for configuration: ExchangeConfig, api: any ExchangeAPI) -> [StreamSubscription] {
        var subscriptions: [StreamSubscription] = []
        for market in configuration.marketKeys {
            for channel in configuration.channels {
                switch channel {
                case .ticker: subscriptions.append(StreamSubscription(market: market, channel: .ticker))
                case .trades: subscriptions.append(StreamSubscription(market: market, channel: .trades))
                case .candles:
                    for interval in configuration.candleIntervals {
                        subscriptions.append(StreamSubscription(market: market, channel: .candles(interval)))
                    }
                case .book:
                    subscriptions.append(
                        StreamSubscription(
                            market: market, channel: .book,
                            depth: api.streamBookDepth(forConfigured: configuration.bookDepth)))
                }
            }
        }
        return subscriptions
    }

    /// Places subscriptions on connections with room for them, opening connections as needed. Other
    /// subscriptions on those connections are not touched.
    package func subscribe(_ subscriptions: [StreamSubscription]) {
        var started: [StreamConnection] = []
        var starts: [(MarketKey, [BookAction])] = []
        state.withLock { state in
            for subscription in subscriptions {
                if state.connections.contains(where: { $0.subscriptions.contains(subscription) }) { continue }
                if case .book = subscription.channel, state.books[subscription.market] == nil {
                    state.books[subscription.market] = BookSynchronizer(market: subscription.market, rule: api.bookRule)
                }
                if let connection = state.connections.first(where: {
                    $0.type == subscription.market.type && !$0.isRetired && $0.canAccept(subscription)
                }) {
                    connection.add([subscription])
                    // A book joining a live connection starts syncing now (Binance: its REST snapshot); on a
                    // new connection that happens when it opens.
                    if case .book = subscription.channel, connection.isConnected,
                        let actions = state.books[subscription.market]?.start()
                    {
                        starts.append((subscription.market, actions.filter { $0 != .resubscribe }))
                    }
                    continue
                }
                let connection = StreamConnection(
                    id: state.nextConnectionID, type: subscription.market.type, api: api,
                    baseURL: configuration.webSocketURL.absoluteString, tlsConfiguration: tls,
                    subscriptions: [subscription], delegate: self, logger: logger)
                state.nextConnectionID += 1
                state.connections.append(connection)
                started.append(connection)
            }
        }
        for connection in started { workInput.yield(.start(connection)) }
        for (market, actions) in starts { perform(actions, market: market) }
    }

    /// The streams currently subscribed (configured plus runtime changes).
    package var currentSubscriptions: [StreamSubscription] {
        state.withLock { $0.connections.filter { !$0.isRetired }.flatMap(\.subscriptions) }.sorted()
    }

    /// Whether no instrument list has been loaded (then a subscribe cannot be checked against it).
    package var currentInstrumentsEmpty: Bool { state.withLock { $0.instruments.isEmpty } }

    /// The instrument the exchange lists for `market`, once the list is loaded.
    package func instrument(_ market: MarketKey) -> Instrument? { state.withLock { $0.instruments[market] } }

    /// A client's symbol (exchange spelling or unified `BTC/USDT`) as this exchange's market.
    package func market(symbol: String, type: MarketType) -> MarketKey {
        let directory = state.withLock { SymbolDirectory(instruments: Array($0.instruments.values)) }
        return directory.market(exchange: api.exchange, symbol: symbol, type: type)
            ?? MarketKey(exchange: api.exchange, type: type, symbol: symbol.uppercased())
    }

    package var configuredCandleIntervals: [CandleInterval] { configuration.candleIntervals }
    package var configuredBookDepth: Int { configuration.bookDepth }

    /// Removes subscriptions; the connection they were on keeps its other streams.
    package func unsubscribe(_ subscriptions: [StreamSubscription]) {
        state.withLock { state in
            for connection in state.connections {
                let mine = subscriptions.filter { connection.subscriptions.contains($0) }
                if !mine.isEmpty { connection.remove(mine) }
                for subscription in mine where subscription.channel == .book { state.books[subscription.market] = nil }
            }
        }
    }

    // MARK: - Running

    package func run(publisher: MarketPublisher) async throws {
        state.withLock { $0.publisher = publisher }
        await synchroniseClock()
        let wanted = await validatedSubscriptions()
        logger.info(
            "starting market data",
            metadata: ["markets": "\(configuration.markets.count)", "streams": "\(wanted.count)"])
        loadTradeCursors(publisher.tradeCursors, subscriptions: wanted)
        subscribe(wanted)
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.auditLoop() }
                group.addTask { await self.clockLoop() }
                group.addTask { await self.rateLimitGaugeLoop() }
                for await item in work {
                    switch item {
                    case .start(let connection): group.addTask { await connection.run() }
                    case .snapshot(let market): group.addTask { await self.fetchSnapshot(market) }
                    case .gapFill(let connection, let only):
                        group.addTask { await self.gapFill(connection, only: only) }
                    case .retire(let connection, let delay):
                        group.addTask {
                            try? await Task.sleep(for: delay)
                            connection.retire()
                            self.state.withLock { $0.connections.removeAll { $0 === connection } }
                        }
                    }
                }
                group.cancelAll()
            }
        } onCancel: {
            workInput.finish()
            for connection in state.withLock({ $0.connections }) { connection.retire() }
        }
        await rest.shutdown()
    }

    /// Measures the exchange's clock against ours: windows of the rate limits and candle closes follow it.
    private func synchroniseClock() async {
        do {
            let before = WallClockMilliseconds.now()
            let response = try await rest.sendRetrying(api.serverTimeRequest(), priority: .polling, attempts: 3)
            let after = WallClockMilliseconds.now()
            let server = try api.parseServerTime(response.body)
            await rest.governor.setClockOffset(milliseconds: server.milliseconds - (before + after) / 2)
        } catch {
            logger.warning("could not read the exchange's clock; using ours", metadata: ["error": "\(error)"])
        }
    }

    private func clockLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(300))
            if Task.isCancelled { return }
            await synchroniseClock()
        }
    }

    /// The governor's gauges follow its windows even while no REST call is made.
    private func rateLimitGaugeLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(5))
            if Task.isCancelled { return }
            await rest.governor.refreshGauges()
        }
    }

    /// The configured streams of markets the exchange lists; an unknown market is reported, not subscribed.
    private func validatedSubscriptions() async -> [StreamSubscription] {
        let wanted =
            changes?.apply(to: Self.subscriptions(for: configuration, api: api))
            ?? Self.subscriptions(for: configuration, api: api)
        var listed: [MarketKey: Instrument] = [:]
        let types = Set(configuration.marketKeys.map(\.type))
        do {
            for type in types.sorted(by: { $0.rawValue < $1.rawValue }) {
                for first in api.instrumentsRequests(type: type) {
                    var request: RESTRequest? = first
                    var pages = 0
                    while let next = request, pages < 50 {
                        let response = try await rest.sendRetrying(next, priority: .polling, attempts: 3)
                        let page = try api.parseInstruments(response.body, type: type)
                        for instrument in page.instruments { listed[instrument.market] = instrument }
                        request = page.next
                        pages += 1
                    }
                }
            }
        } catch {
            logger.warning(
                "could not load the exchange's market list; subscribing to the configured markets unchecked",
                metadata: ["error": "\(error)"])
            return wanted
        }
        state.withLock { $0.instruments = listed }
        if !listed.isEmpty {
            // Consumers (the gateway's market list, the writer's trading_pairs) learn the grids from here.
            publish(
                .instruments(
                    InstrumentList(exchange: api.exchange, instruments: listed.values.sorted { $0.market < $1.market })),
                exchangeTime: nil)
        }
        let unknown = Set(wanted.map(\.market).filter { listed[$0] == nil })
        for market in unknown.sorted() {
            logger.error(
                "market not listed by the exchange; not subscribing to it (check exchanges.\(api.exchange).markets)",
                metadata: ["market": "\(market)"])
        }
        return wanted.filter { !unknown.contains($0.market) }
    }

    // MARK: - Connection events

    package func connectionOpened(_ connection: StreamConnection, reconnect: Bool) {
        let (actions, replaced, orphaned) = state.withLock {
            state -> ([(MarketKey, [BookAction])], StreamConnection?, Bool) in
            var actions: [(MarketKey, [BookAction])] = []
            let replaced = state.replacing.removeValue(forKey: connection.id)
            // Make-before-break assumes the old connection still delivers until this one is up; when the
            // exchange closed it first (a slow start), what came in between is a gap this connection fills.
            var orphaned = false
            if let replaced, let closedAt = state.gapOpenedAt[replaced.id] {
                state.gapOpenedAt[connection.id] = closedAt
                orphaned = true
            }
            for subscription in connection.subscriptions where subscription.channel == .book {
                // A make-before-break replacement continues the same update ids: the old book stays.
                guard replaced == nil, let current = state.books[subscription.market]?.state else { continue }
                let fresh = !reconnect && current == .awaitingSnapshot
                let result =
                    (fresh
                        ? state.books[subscription.market]?.start()
                        : state.books[subscription.market]?.requestResync(reason: .disconnected)) ?? []
                // The fresh subscription brings the stream snapshot by itself.
                actions.append((subscription.market, result.filter { $0 != .resubscribe }))
            }
            return (actions, replaced, orphaned)
        }
        for (market, list) in actions { perform(list, market: market) }
        publishStatus(
            .connected, market: nil,
            reason: "connection \(connection.id) up with \(connection.subscriptions.count) streams")
        if let replaced {
            logger.info(
                "replacement connection up; retiring the old one",
                metadata: ["old": "\(replaced.id)", "new": "\(connection.id)"])
            workInput.yield(.retire(replaced, after: .seconds(2)))
        }
        if reconnect || orphaned {
            metrics.gaps.increment()
            let openedAt = state.withLock { $0.gapOpenedAt[connection.id] } ?? now()
            let reason =
                orphaned
                ? "the exchange closed the old connection before its replacement was up" : "stream connection lost"
            for subscription in connection.subscriptions where Self.fillable(subscription.channel) {
                publish(
                    .gap(
                        StreamGap(
                            market: subscription.market, channel: subscription.channel.description, state: .opened,
                            openedAt: openedAt, reason: reason)), exchangeTime: nil)
            }
            workInput.yield(.gapFill(connection, only: nil))
        } else {
            fillAfterRestart(connection)
        }
    }

    /// Trades an earlier run of this ingestor published after the last one the writer stored (its send
    /// window at a crash) or that happened while it was down: fetched over REST from the saved cursor.
    private func fillAfterRestart(_ connection: StreamConnection) {
        let due = state.withLock { state -> [(StreamSubscription, TradeMark)] in
            connection.subscriptions.compactMap { subscription in
                guard subscription.channel == .trades,
                    let mark = state.fillAfterRestart.removeValue(forKey: subscription.market)
                else { return nil }
                state.fillFrom[subscription.market] = mark
                return (subscription, mark)
            }
        }
        guard let oldest = due.map(\.1.time).min() else { return }
        state.withLock { $0.gapOpenedAt[connection.id] = oldest }
        for (subscription, mark) in due {
            publish(
                .gap(
                    StreamGap(
                        market: subscription.market, channel: subscription.channel.description, state: .opened,
                        openedAt: mark.time, reason: "the ingestor restarted; filling from the last stored trade")),
                exchangeTime: nil)
        }
        logger.info("filling trades from the cursors of the previous run", metadata: ["markets": "\(due.count)"])
        workInput.yield(.gapFill(connection, only: due.map(\.0)))
    }

    /// Seeds the trade trackers from the cursors an earlier run saved (``TradeCursors``).
    private func loadTradeCursors(_ cursors: TradeCursors?, subscriptions: [StreamSubscription]) {
        guard let cursors, !cursors.loaded.isEmpty else { return }
        state.withLock { state in
            for subscription in subscriptions where subscription.channel == .trades {
                guard let cursor = cursors.loaded[subscription.market.description] else { continue }
                let mark = TradeMark(id: cursor.id, time: Timestamp(nanoseconds: cursor.time))
                state.trades[subscription.market] = TradeDeduplicator(after: mark)
                state.fillAfterRestart[subscription.market] = mark
            }
        }
        logger.info(
            "trade cursors of the previous run loaded",
            metadata: ["markets": "\(cursors.loaded.count)", "clean_stop": "\(cursors.loadedClean)"])
    }

    /// Channels whose missed data REST can fetch (books resync instead, tickers are latest-state).
    static func fillable(_ channel: StreamChannel) -> Bool {
        switch channel {
        case .trades, .candles: true
        case .ticker, .book: false
        }
    }

    private func now() -> Timestamp { Timestamp(nanoseconds: WallClock.nowNanoseconds()) }

    private func publishStatus(_ state: SourceStatus.State, market: MarketKey?, reason: String) {
        publish(
            .status(SourceStatus(exchange: api.exchange, market: market, state: state, reason: reason, time: now())),
            exchangeTime: nil)
    }

    package func connectionClosed(_ connection: StreamConnection, reason: String) {
        let at = now()
        state.withLock { state in
            if state.gapOpenedAt[connection.id] == nil { state.gapOpenedAt[connection.id] = at }
            for subscription in connection.subscriptions {
                let market = subscription.market
                switch subscription.channel {
                case .trades:
                    if state.fillFrom[market] == nil, let last = state.trades[market]?.last {
                        state.fillFrom[market] = last
                    }
                case .candles(let interval):
                    let key = CandleKey(market: market, interval: interval)
                    if state.candleFillFrom[key] == nil, let open = state.candles[key]?.lastOpenTime {
                        state.candleFillFrom[key] = open
                    }
                case .ticker, .book:
                    break
                }
            }
        }
        publishStatus(.disconnected, market: nil, reason: "connection \(connection.id): \(reason)")
        logger.warning(
            "stream connection closed; markets on it have a gap until it is filled after the reconnect",
            metadata: [
                "connection": "\(connection.id)", "reason": "\(reason)", "streams": "\(connection.subscriptions.count)",
            ])
    }

    package func connection(_ connection: StreamConnection, failedToParse error: ExchangeParseError, frame: String) {
        metrics.parseError(error.kind)
        let count = state.withLock { state -> Int in
            state.parseErrorsLogged[error.kind, default: 0] += 1
            return state.parseErrorsLogged[error.kind]!
        }
        // The first of each kind and then every 1000th: a storm of bad frames must not flood the log.
        if count == 1 || count.isMultiple(of: 1000) {
            logger.warning(
                "bad message from the exchange; skipped (nothing reached a book or a sink)",
                metadata: [
                    "connection": "\(connection.id)", "error": "\(error)", "count": "\(count)",
                    "streams": "\(connection.subscriptions.prefix(3).map(\.description))",
                ])
        }
    }

    package func connection(_ connection: StreamConnection, received events: [StreamEvent], receivedAt: Timestamp) {
        for event in events {
            switch event {
            case .ticker(let ticker):
                let merged = state.withLock { $0.tickers[ticker.market, default: TickerMerger()].merge(ticker) }
                metrics.event("ticker")
                publish(.ticker(merged), exchangeTime: ticker.time)
            case .trades(let trades):
                guard let market = trades.first?.market else { continue }
                let fresh = state.withLock { $0.trades[market, default: TradeDeduplicator()].admit(trades) }
                metrics.event("trades")
                if !fresh.isEmpty { publish(.trades(fresh), exchangeTime: fresh.last?.time) }
            case .candle(let candle):
                let key = CandleKey(market: candle.market, interval: candle.interval)
                let out = state.withLock { $0.candles[key, default: CandleTracker()].admit(candle) }
                metrics.event("candles")
                for candle in out { publish(.candle(candle), exchangeTime: nil) }
            case .bookSnapshot(let snapshot):
                metrics.event("book")
                // Mutated in place: a copy out of the dictionary would copy the whole book on every update.
                let actions = state.withLock {
                    $0.books[snapshot.market]?.receive(snapshot: snapshot, fromStream: true) ?? []
                }
                perform(actions, market: snapshot.market)
            case .bookDelta(let delta):
                metrics.event("book")
                let actions = state.withLock { $0.books[delta.market]?.receive(delta) ?? [] }
                perform(actions, market: delta.market)
            case .serverShutdown:
                replace(connection)
            case .rejected(let id, let message):
                metrics.rejected.increment()
                logger.error(
                    "the exchange refused a subscription",
                    metadata: ["connection": "\(connection.id)", "id": "\(id ?? "")", "message": "\(message)"])
            case .subscribed, .pong, .serverTime:
                break
            }
        }
    }

    /// Binance closes every connection after 24 h and says so first: open the replacement with the same
    /// streams, and retire the old one once the new one is up, so no update is missed.
    private func replace(_ connection: StreamConnection) {
        let replacement = state.withLock { state -> StreamConnection? in
            guard !connection.isRetired, !state.replacing.values.contains(where: { $0 === connection }) else {
                return nil
            }
            let replacement = StreamConnection(
                id: state.nextConnectionID, type: connection.type, api: api,
                baseURL: configuration.webSocketURL.absoluteString, tlsConfiguration: tls,
                subscriptions: connection.subscriptions, delegate: self, logger: logger)
            state.nextConnectionID += 1
            state.replacing[replacement.id] = connection
            state.connections.append(replacement)
            return replacement
        }
        guard let replacement else { return }
        logger.info(
            "exchange announced a disconnect; opening a replacement first", metadata: ["connection": "\(connection.id)"]
        )
        workInput.yield(.start(replacement))
    }

    // MARK: - Books

    private func perform(_ actions: [BookAction], market: MarketKey) {
        for action in actions {
            switch action {
            case .requestSnapshot:
                workInput.yield(.snapshot(market))
            case .resubscribe:
                let carrier = state.withLock { state in
                    state.connections.first {
                        !$0.isRetired && $0.subscriptions.contains { $0.market == market && $0.channel == .book }
                    }
                }
                if let carrier,
                    let subscription = carrier.subscriptions.first(where: { $0.market == market && $0.channel == .book }
                    )
                {
                    carrier.remove([subscription])
                    carrier.add([subscription])
                }
            case .publishSnapshot(var snapshot):
                // The first sync is live data; a later one replaces a book consumers already had.
                if (state.withLock { $0.books[market]?.resyncs } ?? 0) > 0 { snapshot.origin = .resync }
                publish(.bookSnapshot(snapshot), exchangeTime: nil)
            case .publishDelta(let delta):
                publish(.bookDelta(delta), exchangeTime: delta.time)
            case .stateChanged(let newState):
                let newResyncs = state.withLock { state -> Int in
                    let total = state.books[market]?.resyncs ?? 0
                    defer { state.resyncsCounted[market] = total }
                    return max(0, total - (state.resyncsCounted[market] ?? 0))
                }
                if newResyncs > 0 { metrics.resyncs.increment(by: newResyncs) }
                switch newState {
                case .synced:
                    logger.info("book synced", metadata: ["market": "\(market)"])
                    publishStatus(.synced, market: market, reason: "book synced")
                case .resyncing(let reason):
                    logger.warning(
                        "book resyncing; the old book stays readable meanwhile",
                        metadata: ["market": "\(market)", "reason": "\(reason)"])
                    publishStatus(.resyncing, market: market, reason: "book: \(reason)")
                case .degraded(let reason):
                    logger.error(
                        "book degraded: snapshots keep failing; still trying",
                        metadata: ["market": "\(market)", "reason": "\(reason)"])
                    publishStatus(.degraded, market: market, reason: "book: \(reason)")
                case .awaitingSnapshot:
                    break
                }
                let synced = state.withLock { $0.books.values.filter { $0.state == .synced }.count }
                metrics.booksSynced.record(synced)
            }
        }
    }

    private func fetchSnapshot(_ market: MarketKey) async {
        let failures = state.withLock { $0.books[market]?.consecutiveSnapshotFailures ?? 0 }
        // Let the diff buffer start before the snapshot (Binance's procedure), then back off on failures.
        let delay =
            failures == 0 ? Duration.milliseconds(300) : min(.milliseconds(500) * (1 << min(failures, 6)), .seconds(30))
        try? await Task.sleep(for: delay)
        guard let request = api.bookSnapshotRequest(market: market, depth: configuration.bookDepth) else { return }
        let actions: [BookAction]
        do {
            let response = try await rest.sendRetrying(request, priority: .bookResync, attempts: 2)
            let receivedAt = Timestamp(nanoseconds: WallClock.nowNanoseconds())
            let snapshot = try api.parseBookSnapshot(response.body, market: market, receivedAt: receivedAt)
            actions = state.withLock { $0.books[market]?.receive(snapshot: snapshot, fromStream: false) ?? [] }
        } catch {
            if Task.isCancelled { return }
            logger.warning(
                "book snapshot failed; retrying with backoff", metadata: ["market": "\(market)", "error": "\(error)"])
            actions = state.withLock { $0.books[market]?.snapshotFailed() ?? [] }
        }
        perform(actions, market: market)
    }

    /// Every `auditInterval`, one synced book is compared with the exchange's REST top levels.
    private func auditLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: auditInterval)
            if Task.isCancelled { return }
            let compared = state.withLock { state -> Int? in
                var latest: Int?
                for (market, book) in state.books where book.audits != state.auditsRecorded[market, default: 0] {
                    state.auditsRecorded[market] = book.audits
                    if let divergence = book.lastAuditDivergence { latest = max(latest ?? 0, divergence) }
                }
                return latest
            }
            if let compared { metrics.divergence.record(compared) }
            let market = state.withLock { state -> MarketKey? in
                let synced = state.books.values.filter { $0.state == .synced }.map(\.market).sorted()
                guard !synced.isEmpty else { return nil }
                state.auditCursor = (state.auditCursor + 1) % synced.count
                return synced[state.auditCursor]
            }
            guard let market, let request = api.auditSnapshotRequest(market: market, depth: auditDepth) else {
                continue
            }
            do {
                let response = try await rest.send(request, priority: .polling)
                let receivedAt = Timestamp(nanoseconds: WallClock.nowNanoseconds())
                let snapshot = try api.parseBookSnapshot(response.body, market: market, receivedAt: receivedAt)
                let report = state.withLock { $0.books[market]?.audit(snapshot, depth: auditDepth) }
                if let divergence = report?.divergence { metrics.divergence.record(divergence) }
                if let report { perform(report.actions, market: market) }
            } catch {
                logger.debug("book audit skipped", metadata: ["market": "\(market)", "error": "\(error)"])
            }
        }
    }

    // MARK: - Gap-fill

    /// After a reconnect: trades from the last one seen, candles from the last open time, fetched over
    /// REST, de-duplicated against what the stream delivered, and published.
    private func gapFill(_ connection: StreamConnection, only: [StreamSubscription]?) async {
        var filledTrades = 0
        var filledCandles = 0
        let openedAt = state.withLock { $0.gapOpenedAt.removeValue(forKey: connection.id) } ?? now()
        for subscription in only ?? connection.subscriptions where Self.fillable(subscription.channel) {
            if Task.isCancelled { return }
            let market = subscription.market
            var recovered = 0
            var reason = "filled over REST after the reconnect"
            do {
                switch subscription.channel {
                case .trades:
                    let from = state.withLock { state -> TradeMark? in
                        // A reconnect before the first connection came up covers the restart's fill too.
                        let cursor = state.fillAfterRestart.removeValue(forKey: market)
                        return state.fillFrom.removeValue(forKey: market) ?? cursor ?? state.trades[market]?.last
                    }
                    let fill = try await fillTrades(market, from: from)
                    recovered = fill.published
                    filledTrades += recovered
                    if let hole = fill.unrecoverable {
                        metrics.gapsUnrecovered.increment()
                        reason = hole
                        logger.warning(
                            "trades lost in a gap the exchange's REST cannot fill",
                            metadata: ["market": "\(market)", "detail": "\(hole)"])
                    }
                case .candles(let interval):
                    recovered = try await fillCandles(market, interval: interval)
                    filledCandles += recovered
                case .ticker, .book:
                    continue
                }
            } catch {
                reason = "gap-fill failed: \(error)"
                logger.warning(
                    "gap-fill failed for one stream", metadata: ["stream": "\(subscription)", "error": "\(error)"])
            }
            publish(
                .gap(
                    StreamGap(
                        market: market, channel: subscription.channel.description, state: .closed, openedAt: openedAt,
                        closedAt: max(openedAt, now()), recovered: UInt64(recovered), reason: reason)),
                exchangeTime: nil)
        }
        metrics.gapFilledTrades.increment(by: filledTrades)
        metrics.gapFilledCandles.increment(by: filledCandles)
        logger.info(
            "gap closed after reconnect",
            metadata: ["connection": "\(connection.id)", "trades": "\(filledTrades)", "candles": "\(filledCandles)"])
    }

    /// What a trade fill published, and why it could not reach back to its cursor if it could not.
    struct TradeFill {
        var published = 0
        /// Set when trades between the cursor and the oldest one REST still returns are beyond reach; the
        /// gap-closed event carries it as its reason, so a consumer knows the hole is real.
        var unrecoverable: String?
    }

    /// Trades after `from` (the newest published before the gap), up to 20 pages where the exchange pages
    /// by id; de-duplicated against what the stream delivered meanwhile. Bybit and WhiteBIT only answer their
    /// most recent trades: when that page does not reach back to the cursor, the hole is reported, not hidden.
    private func fillTrades(_ market: MarketKey, from: TradeMark?) async throws -> TradeFill {
        var fill = TradeFill()
        var pages = 0
        var last = from
        while true {
            pages += 1
            let fromID = api.supportsTradesFromID ? last.flatMap { UInt64($0.id).map { String($0 + 1) } } : nil
            let request = api.tradesRequest(market: market, fromID: fromID, limit: api.maxTradesPerRequest)
            let response = try await rest.sendRetrying(request, priority: .polling)
            let receivedAt = Timestamp(nanoseconds: WallClock.nowNanoseconds())
            let page = try api.parseTrades(response.body, market: market, receivedAt: receivedAt)
            var trades = page
            if let last { trades = trades.filter { $0.time >= last.time } }
            for index in trades.indices { trades[index].origin = .gapFill }
            let fresh = state.withLock { $0.trades[market, default: TradeDeduplicator()].admit(trades) }
            if !fresh.isEmpty { publish(.trades(fresh), exchangeTime: nil) }
            fill.published += fresh.count
            guard api.supportsTradesFromID, fromID != nil else {
                // One page of the most recent trades: it covers the gap only if it reaches the cursor's time.
                if let from, let oldest = page.map(\.time).min(), oldest > from.time {
                    fill.unrecoverable = Self.unrecoverableTrades(since: from.time, oldest: oldest, page: page.count)
                }
                return fill
            }
            // A short page means caught up.
            guard trades.count >= api.maxTradesPerRequest,
                let newest = trades.max(by: { (UInt64($0.id) ?? 0) < (UInt64($1.id) ?? 0) })
            else { return fill }
            last = TradeMark(id: newest.id, time: newest.time)
            if pages == Self.maxTradeFillPages {
                fill.unrecoverable =
                    "incomplete: \(pages) pages of \(api.maxTradesPerRequest) trades after the gap were filled and more "
                    + "remain; trades after id \(newest.id) until the stream resumed were not fetched and are "
                    + "missing (a gap longer than one fill allows)"
                return fill
            }
        }
    }

    /// Bounds one gap's fill so a long outage cannot hold the polling budget; the rest is reported.
    static let maxTradeFillPages = 20

    static func unrecoverableTrades(since cursor: Timestamp, oldest: Timestamp, page: Int) -> String {
        let from = cursor.iso8601(), to = oldest.iso8601()
        return "incomplete: the exchange's recent-trades page (\(page) trades) reaches back only to \(to); trades "
            + "from \(from) until then cannot be fetched over its public REST API and are missing"
    }

    private func fillCandles(_ market: MarketKey, interval: CandleInterval) async throws -> Int {
        let key = CandleKey(market: market, interval: interval)
        guard
            let from = state.withLock({ $0.candleFillFrom.removeValue(forKey: key) ?? $0.candles[key]?.lastOpenTime })
        else { return 0 }
        var published = 0
        var start = from
        var pages = 0
        while pages < 20 {
            pages += 1
            let request = api.candlesRequest(
                market: market, interval: interval, start: start, end: nil, limit: api.maxCandlesPerRequest)
            // Closed only if the period had ended before the request left: an answer summed just before a
            // minute ends and received just after would otherwise replace the stream's final candle.
            let now = await rest.governor.exchangeNow
            let response = try await rest.sendRetrying(request, priority: .polling)
            let receivedAt = Timestamp(nanoseconds: WallClock.nowNanoseconds())
            let candles = try api.parseCandles(
                response.body, market: market, interval: interval, receivedAt: receivedAt, exchangeNow: now)
            for var candle in candles {
                candle.origin = .gapFill
                let out = state.withLock { $0.candles[key, default: CandleTracker()].admit(candle) }
                for candle in out { publish(.candle(candle), exchangeTime: nil) }
                published += out.count
            }
            guard candles.count >= api.maxCandlesPerRequest, let last = candles.last, last.openTime > start else {
                break
            }
            start = last.openTime
        }
        return published
    }

    // MARK: - Publishing

    private func publish(_ event: MarketEvent, exchangeTime: Timestamp?) {
        guard let publisher = state.withLock({ $0.publisher }) else { return }
        do {
            try publisher.publish(event)
            if let exchangeTime {
                let latency = WallClock.nowNanoseconds() - exchangeTime.nanoseconds
                if latency >= 0 { metrics.latency.recordNanoseconds(latency) }
            }
        } catch let error as WireError {
            metrics.invalid.increment()
            logger.warning("dropped an event that breaks a protocol rule", metadata: ["error": "\(error)"])
        } catch {
            let count = state.withLock { state -> Int in
                state.publishFailuresLogged += 1
                return state.publishFailuresLogged
            }
            if count == 1 || count.isMultiple(of: 1000) {
                logger.error("could not queue an event on the outbound streams", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Publishes events an operator injected (ExchangeSource+Inject.swift) straight to the publisher: no
    /// trade de-duplicator, candle tracker, ticker merger or book sees them, so the live state stays as the
    /// exchange made it. False when market data has not started yet (there is no publisher to take them).
    func publishInjected(_ events: [MarketEvent]) throws -> Bool {
        guard let publisher = state.withLock({ $0.publisher }) else { return false }
        for event in events {
            try publisher.publish(event)
            metrics.injected.increment()
        }
        logger.notice(
            "published injected events",
            metadata: [
                "events": "\(events.count)",
                "markets": "\(Set(events.compactMap(\.market?.description)).sorted())",
            ])
        return true
    }

    // MARK: - Status

    /// The governor's budgets, for the scheduler's time-window planning.
    package func capacity() async -> CapacityReportMessage? {
        let report = await rest.governor.capacity()
        let budgets = report.budgets.map { budget in
            CapacityReportMessage.Budget(
                name: budget.name, used: UInt64(max(0, budget.used)), limit: UInt64(max(0, budget.limit)),
                budget: UInt64(max(0, budget.budget)), windowStart: budget.windowStart, resetAt: budget.resetAt,
                blockedUntil: budget.blockedUntil ?? report.blockedUntil)
        }
        return CapacityReportMessage(exchange: api.exchange, time: report.now, budgets: budgets)
    }

    package func statusDetails() -> [ProcessStatus.Detail] {
        state.withLock { state in
            let live = state.connections.filter { !$0.isRetired }
            let synced = state.books.values.filter { $0.state == .synced }.count
            var details: [ProcessStatus.Detail] = [
                .init("connections", "\(live.filter(\.isConnected).count)/\(live.count) connected"),
                .init("streams", String(live.reduce(0) { $0 + $1.subscriptions.count })),
                .init("books", "\(synced)/\(state.books.count) synced"),
            ]
            for book in state.books.values.sorted(by: { $0.market < $1.market }) {
                if book.state != .synced { details.append(.init("book.\(book.market)", "\(book.state)")) }
                // Lets a check (scripts/bench-ingest) compare the whole book with the exchange's at this id
                // without shipping every level.
                details.append(
                    .init(
                        "book_digest.\(book.market)",
                        "update \(book.book.updateID) levels \(book.book.bidCount)/\(book.book.askCount) fnv1a64 "
                            + Self.digest(book.book)))
            }
            return details
        }
    }
}

extension ExchangeSource {
    /// FNV-1a (64 bit, hex) over `b <price> <quantity>\n` for the bids best first, then `a …` for the asks,
    /// decimals without trailing fractional zeros: the same text from the exchange's truth gives the same value.
    static func digest(_ book: OrderBook) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func feed(_ bytes: some Sequence<UInt8>) {
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
        }
        func canonical(_ value: ExactDecimal) -> [UInt8] {
            var bytes: [UInt8] = []
            value.appendText(to: &bytes)
            if bytes.contains(UInt8(ascii: ".")) {
                while bytes.last == UInt8(ascii: "0") { bytes.removeLast() }
                if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
            }
            return bytes
        }
        for (tag, levels) in [("b", book.bids), ("a", book.asks)] {
            for level in levels {
                feed(tag.utf8)
                feed(" ".utf8)
                feed(canonical(level.price))
                feed(" ".utf8)
                feed(canonical(level.quantity))
                feed("\n".utf8)
            }
        }
        return String(hash, radix: 16)
    }

    /// Resyncs one market's book (a scheduler job, or an operator's request); no other market is touched.
    package func resync(_ market: MarketKey) {
        let actions = state.withLock { $0.books[market]?.requestResync(reason: .requested) ?? [] }
        perform(actions, market: market)
    }
}
