// The cryptod dashboard (docs/operations.md#dashboard). Everything comes from the gateway that served
// this page: REST on this origin, polled every `poll_seconds`, and the client WebSocket (docs/websocket.md)
// for the chosen market's book, ticker and candles and for the `stats` topic. While `stats` events do not
// arrive (an older gateway refuses the topic), /api/v1/stream/stats is polled instead. A route that does not
// exist (404) shows "not available" in its panel and nothing else breaks.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const Charts = window.CryptodCharts;
  const TOKEN_KEY = "cryptod.dashboard.adminToken";
  const STATS_REQUEST_ID = "dashboard-stats";
  const HISTORY_MS = 10 * 60 * 1000;
  const INTERVALS = ["1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"];

  const state = {
    config: null,
    marketTypes: {}, // exchange -> [spot, linear]
    socket: null,
    socketOpen: false,
    retry: 0,
    epoch: null,
    lastStatsAt: 0, // Date.now() of the last stats event over the WebSocket
    lastStatsTime: null,
    statsTopic: "pending", // pending | subscribed | refused
    wsMessages: 0,
    exchangeStats: {}, // exchange -> stats.exchanges entry
    series: new Map(), // chart series name -> [[ms, value]]
    market: null, // {exchange, market, symbol, interval}
    ticker: null,
    book: null, // {bids: Map, asks: Map, seq, source, updateId}
    candles: new Map(), // open time ms -> candle
    candleNote: "",
    latencySamples: { exchange: [], page: [] },
  };

  // MARK: - Exact decimals (strings in, strings out; BigInt arithmetic)

  function parseDecimal(text) {
    const m = /^([-+]?)(\d*)(?:\.(\d*))?$/.exec(String(text).trim());
    if (!m || (m[2] === "" && (m[3] === undefined || m[3] === ""))) return null;
    const fraction = m[3] || "";
    return { n: BigInt((m[1] === "-" ? "-" : "") + (m[2] || "0") + fraction), scale: fraction.length };
  }
  function aligned(a, b) {
    const scale = Math.max(a.scale, b.scale);
    return [a.n * 10n ** BigInt(scale - a.scale), b.n * 10n ** BigInt(scale - b.scale), scale];
  }
  function decimalText(n, scale) {
    const negative = n < 0n;
    let digits = (negative ? -n : n).toString().padStart(scale + 1, "0");
    if (scale > 0) digits = digits.slice(0, -scale) + "." + digits.slice(-scale);
    return (negative ? "-" : "") + digits;
  }
  function decimalOp(a, b, op) {
    const x = parseDecimal(a), y = parseDecimal(b);
    if (!x || !y) return null;
    const [p, q, scale] = aligned(x, y);
    return decimalText(op === "+" ? p + q : p - q, scale);
  }
  function decimalCompare(a, b) {
    const x = parseDecimal(a), y = parseDecimal(b);
    if (!x || !y) return 0;
    const [p, q] = aligned(x, y);
    return p < q ? -1 : p > q ? 1 : 0;
  }
  const isZero = (text) => /^[-+]?0*\.?0*$/.test(String(text));
  /** One key per price whatever its trailing zeros ("65000.10" and "65000.1"). */
  function priceKey(text) {
    const d = parseDecimal(text);
    if (!d) return String(text);
    let { n, scale } = d;
    while (scale > 0 && n % 10n === 0n) { n /= 10n; scale -= 1; }
    return decimalText(n, scale);
  }

  // MARK: - Small helpers

  function setValue(id, text, value, tone) {
    const el = $(id);
    if (!el) return;
    el.textContent = text;
    el.dataset.value = value === undefined || value === null ? "" : String(value);
    if (tone !== undefined) {
      el.classList.remove("good", "warn", "bad", "na");
      if (tone) el.classList.add(tone);
    }
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
  function cell(row, text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    if (text instanceof Node) td.appendChild(text); else td.textContent = text === null || text === undefined ? "–" : String(text);
    row.appendChild(td);
    return td;
  }
  function emptyRow(tbody, columns, text) {
    clear(tbody);
    const row = document.createElement("tr");
    const td = cell(row, text, "empty");
    td.colSpan = columns;
    tbody.appendChild(row);
  }
  function stateBadge(text, tone) {
    const span = document.createElement("span");
    span.className = "state";
    const dot = document.createElement("span");
    dot.className = "dot " + (tone || "");
    span.appendChild(dot);
    span.appendChild(document.createTextNode(text));
    return span;
  }
  const fmt = Charts.formatNumber;
  // A JSON figure is shown only when it is a real number: isNum(null) is true in JavaScript.
  function isNum(value) {
    return typeof value === "number" && isFinite(value);
  }
  function clockText(date) {
    return date.toLocaleTimeString("en-GB", { hour12: false });
  }
  function ago(time) {
    const ms = Date.parse(time);
    if (!isNum(ms)) return "–";
    const s = Math.max(0, (Date.now() - ms) / 1000);
    if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    return Math.floor(s / 3600) + " h ago";
  }
  function pushPoint(name, value, at) {
    if (!isNum(value)) return;
    let points = state.series.get(name);
    if (!points) { points = []; state.series.set(name, points); }
    points.push([at || Date.now(), value]);
    const cutoff = Date.now() - HISTORY_MS;
    while (points.length && points[0][0] < cutoff) points.shift();
  }
  function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

  // MARK: - REST

  /** Never throws: {status, ok, json, text}; status 0 when the gateway could not be reached. */
  async function api(path, options) {
    const headers = { Accept: "application/json" };
    if (options && options.admin && token()) headers.Authorization = "Bearer " + token();
    let body;
    if (options && options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    try {
      const response = await fetch(path, { method: (options && options.method) || "GET", headers, body, cache: "no-store" });
      const text = await response.text();
      let json = null;
      try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
      return { status: response.status, ok: response.ok, json, text };
    } catch (error) {
      return { status: 0, ok: false, json: null, text: String(error) };
    }
  }

  /** Why a panel has no data, in a few words. */
  function unavailable(result, path, admin) {
    const message = result.json && result.json.error && result.json.error.message;
    switch (result.status) {
      case 0: return "gateway unreachable";
      case 404: return "not available: " + path + " answers 404 on this gateway";
      case 401: return token() ? "the admin token was refused" : "needs the admin token";
      case 403: return "admin routes are disabled (gateway.admin_token)";
      case 429: return "rate limited; retrying";
      default: return "error " + result.status + (message ? ": " + message : "") + (admin ? "" : "");
    }
  }

  // MARK: - Stats: the WebSocket topic, else REST

  function applyStats(stats, source) {
    if (!stats || typeof stats !== "object") return;
    if (stats.time && stats.time === state.lastStatsTime) return;
    state.lastStatsTime = stats.time || null;
    document.body.dataset.statsSource = source;
    setValue("stats-source", "stats: " + (source === "websocket" ? "live (WebSocket)" : "REST every " + pollSeconds() + " s"), source);
    $("stats-source").className = "pill " + (source === "websocket" ? "good" : "warn");
    const now = Date.now();
    const totals = stats.totals || {};
    if (isNum(totals.messages_per_second)) {
      setValue("rate-total", fmt(totals.messages_per_second), totals.messages_per_second, "");
      pushPoint("total", totals.messages_per_second, now);
    }
    if (isNum(totals.messages_total)) $("messages-total").textContent = totals.messages_total.toLocaleString("en-US") + " total";
    if (isNum(totals.drop_rate)) {
      const percent = totals.drop_rate * 100;
      setValue("drop-rate", (percent < 0.01 && percent > 0 ? percent.toFixed(3) : percent.toFixed(2)) + " %", totals.drop_rate,
        totals.drop_rate > 0.05 ? "bad" : totals.drop_rate > 0 ? "warn" : "good");
      $("dropped-total").textContent = (totals.dropped_total || 0).toLocaleString("en-US") + " dropped";
    }
    if (stats.mode !== undefined) {
      const throttle = isNum(stats.throttle_percent) ? stats.throttle_percent : 0;
      setValue("mode", stats.mode + " · " + throttle + " %", stats.mode, throttle > 0 ? "warn" : "");
      $("mode").dataset.throttle = String(throttle);
      $("mode-reason").textContent = stats.mode_reason || "–";
    }
    if (stats.websocket && isNum(stats.websocket.clients)) {
      setValue("ws-clients", String(stats.websocket.clients), stats.websocket.clients, "");
      $("ws-clients").dataset.source = "stats";
      $("ws-clients-sub").textContent = fmt(stats.websocket.messages_per_second || 0) + " msg/s sent";
    }
    state.exchangeStats = {};
    for (const entry of stats.exchanges || []) {
      state.exchangeStats[entry.exchange] = entry;
      pushPoint(entry.exchange, entry.messages_per_second, now);
    }
    for (const stage of stats.stages || []) {
      const latency = stage.latency_ms || {};
      pushPoint(stage.stage + " p50", latency.p50, now);
      pushPoint(stage.stage + " p99", latency.p99, now);
    }
    $("rates-note").textContent = "window " + (stats.window_seconds || "?") + " s";
    $("latency-note").textContent = "per stage, p50 and p99";
    // /api/v1/stream/health is the authority when it answers; the stats' copy stands in otherwise.
    if (stats.health && !state.healthFromREST) applyHealth(stats.health);
  }

  function applyHealth(health) {
    if (!health || !isNum(health.score)) return;
    const tone = health.score >= 90 ? "good" : health.score >= 70 ? "warn" : "bad";
    setValue("health-score", String(Math.round(health.score)), health.score, tone);
    $("health-status").textContent = health.status || "–";
  }

  // MARK: - Polling

  function pollSeconds() { return (state.config && state.config.poll_seconds) || 2; }

  async function poll() {
    const statsLive = Date.now() - state.lastStatsAt < pollSeconds() * 2500;
    const jobs = [pollExchanges(), pollHealth(), pollBuffers(), pollWorkers(), pollAlerts()];
    if (!statsLive) jobs.push(pollStats());
    await Promise.all(jobs);
    $("updated").textContent = "updated " + clockText(new Date());
  }

  async function pollStats() {
    const result = await api("/api/v1/stream/stats");
    if (result.ok && result.json) {
      applyStats(result.json, "rest");
    } else {
      document.body.dataset.statsSource = "unavailable";
      setValue("stats-source", "stats: not available", "unavailable");
      $("stats-source").className = "pill";
      const why = unavailable(result, "/api/v1/stream/stats");
      $("rates-note").textContent = "gateway figures " + why.replace(/^not available: /, "not available (") + (result.status === 404 ? ")" : "");
      $("latency-note").textContent = result.status === 404 ? "per-stage latency needs /api/v1/stream/stats" : why;
      for (const id of ["rate-total", "drop-rate", "mode"]) setValue(id, "not available", "", "na");
      $("messages-total").textContent = result.status === 404 ? "no /api/v1/stream/stats yet" : why;
      $("dropped-total").textContent = "–";
      $("mode-reason").textContent = "–";
      await pollClients();
    }
  }

  /** WebSocket clients while no stats arrive: the stream route, else the admin WebSocket figures. */
  async function pollClients() {
    let result = await api("/api/v1/stream/websocket/clients");
    if (result.ok && result.json && Array.isArray(result.json.clients)) {
      setValue("ws-clients", String(result.json.clients.length), result.json.clients.length, "");
      $("ws-clients").dataset.source = "stream";
      $("ws-clients-sub").textContent = "from /stream/websocket/clients";
      return;
    }
    if (token()) {
      result = await api("/api/v1/admin/websocket/stats", { admin: true });
      if (result.ok && result.json && isNum(result.json.clients)) {
        setValue("ws-clients", String(result.json.clients), result.json.clients, "");
        $("ws-clients").dataset.source = "admin";
        $("ws-clients-sub").textContent = "at most " + result.json.max_clients + " · " + result.json.slow_disconnects + " dropped as slow";
        return;
      }
    }
    setValue("ws-clients", "not available", "", "na");
    $("ws-clients-sub").textContent = token() ? unavailable(result, "/api/v1/admin/websocket/stats") : "enter the admin token";
  }

  async function pollHealth() {
    const result = await api("/api/v1/stream/health");
    state.healthFromREST = !!(result.ok && result.json && isNum(result.json.score));
    if (state.healthFromREST) {
      applyHealth(result.json);
    } else if (!(state.lastStatsAt && Date.now() - state.lastStatsAt < 6000)) {
      setValue("health-score", "not available", "", "na");
      $("health-status").textContent = result.status === 404 ? "no /api/v1/stream/health yet" : unavailable(result, "/api/v1/stream/health");
    }
  }

  async function pollExchanges() {
    const result = await api("/api/v1/exchanges/status");
    const tbody = $("exchanges-table").tBodies[0];
    if (!result.ok || !result.json || !Array.isArray(result.json.exchanges)) {
      emptyRow(tbody, 8, unavailable(result, "/api/v1/exchanges/status"));
      setValue("connected-exchanges", "–", "");
      return;
    }
    const all = result.json.exchanges;
    const enabled = all.filter((e) => e.enabled);
    const connected = enabled.filter((e) => e.connection === "connected");
    const tone = connected.length === enabled.length && enabled.length > 0 ? "good" : connected.length === 0 ? "bad" : "warn";
    setValue("connected-exchanges", connected.length + " / " + enabled.length, connected.length, tone);
    $("connected-exchanges").dataset.total = String(enabled.length);
    $("exchanges-summary").textContent = enabled.length === 0 ? "no exchange enabled" : enabled.map((e) => e.exchange).join(", ");
    clear(tbody);
    for (const entry of all) {
      const row = document.createElement("tr");
      row.dataset.exchange = entry.exchange;
      row.dataset.connection = entry.connection || "";
      if (!entry.enabled) row.className = "disabled";
      const stats = state.exchangeStats[entry.exchange] || {};
      cell(row, entry.exchange);
      const processTone = entry.state === "ready" ? "good" : entry.state === "disabled" ? "" : "warn";
      cell(row, stateBadge(entry.state, processTone)).title = entry.problem || "";
      const connection = entry.connection || (entry.enabled ? "unknown" : "–");
      const connectionTone = connection === "connected" || connection === "synced" ? "good"
        : connection === "disconnected" ? "bad" : connection === "–" ? "" : "warn";
      cell(row, stateBadge(connection, connectionTone)).title = entry.connection_reason || "";
      cell(row, isNum(stats.messages_per_second) ? fmt(stats.messages_per_second) : "–", "num");
      cell(row, isNum(stats.reconnects_total) ? String(stats.reconnects_total) : "–", "num");
      cell(row, isNum(stats.requests_per_minute) ? fmt(stats.requests_per_minute) : "–", "num");
      cell(row, String(entry.markets_with_data), "num");
      cell(row, entry.last_event_at ? ago(entry.last_event_at) : "–");
      tbody.appendChild(row);
    }
    $("exchanges-note").textContent = Object.keys(state.exchangeStats).length ? "" : "rates need /api/v1/stream/stats";
  }

  async function pollBuffers() {
    const result = await api("/api/v1/stream/buffers");
    const tbody = $("buffers-table").tBodies[0];
    if (!result.ok || !result.json) {
      emptyRow(tbody, 7, unavailable(result, "/api/v1/stream/buffers"));
      $("buffers-note").textContent = "";
      return;
    }
    const buffers = result.json.buffers || [];
    $("buffers-note").textContent = "mode " + (result.json.mode || "?") + " · throttle " + (result.json.throttle_percent || 0) + " %";
    if (buffers.length === 0) { emptyRow(tbody, 7, "no conflation buffers"); return; }
    clear(tbody);
    for (const b of buffers) {
      const row = document.createElement("tr");
      cell(row, b.process); cell(row, b.kind);
      cell(row, b.pending, "num"); cell(row, b.max_size, "num");
      cell(row, b.effective_max_age_ms !== b.max_age_ms ? b.effective_max_age_ms + " (" + b.max_age_ms + ")" : b.max_age_ms, "num");
      cell(row, fmt(b.flushes_total), "num"); cell(row, fmt(b.conflated_total), "num");
      tbody.appendChild(row);
    }
  }

  async function pollWorkers() {
    const result = await api("/api/v1/stream/workers");
    const tbody = $("workers-table").tBodies[0];
    if (!result.ok || !result.json) {
      emptyRow(tbody, 6, unavailable(result, "/api/v1/stream/workers"));
      return;
    }
    const pools = result.json.pools || [];
    if (pools.length === 0) { emptyRow(tbody, 6, "no worker pools"); return; }
    clear(tbody);
    for (const p of pools) {
      const row = document.createElement("tr");
      cell(row, p.process); cell(row, p.pool + (p.kind ? " (" + p.kind + ")" : ""));
      cell(row, p.current, "num"); cell(row, p.min + "–" + p.max, "num");
      cell(row, p.queue_depth, "num"); cell(row, p.scale_ups_total + " / " + p.scale_downs_total, "num");
      tbody.appendChild(row);
    }
  }

  async function pollAlerts() {
    const box = $("alerts");
    const placeholder = (text) => {
      clear(box);
      const p = document.createElement("div");
      p.className = "placeholder";
      p.textContent = text;
      box.appendChild(p);
    };
    if (!token()) {
      box.dataset.count = "";
      $("alerts-note").textContent = "";
      placeholder("Enter the admin token (top right) to see alerts.");
      return;
    }
    const result = await api("/api/v1/admin/alerts", { admin: true });
    if (!result.ok || !result.json) {
      box.dataset.count = "";
      placeholder(unavailable(result, "/api/v1/admin/alerts", true));
      return;
    }
    const active = (result.json.alerts || []).filter((a) => a.state !== "resolved" && a.state !== "inactive");
    box.dataset.count = String(active.length);
    $("alerts-note").textContent = (result.json.rules !== undefined ? result.json.rules + " rules · " : "") + "updated " + clockText(new Date());
    if (active.length === 0) { placeholder("No active alerts."); return; }
    clear(box);
    const order = { critical: 0, warning: 1 };
    active.sort((a, b) => (order[a.severity] ?? 2) - (order[b.severity] ?? 2));
    for (const alert of active) {
      const item = document.createElement("div");
      item.className = "alert " + (alert.severity || "");
      item.dataset.alert = alert.name;
      const name = document.createElement("div");
      name.className = "alert-name";
      name.textContent = alert.name + " · " + (alert.severity || "?") + " · " + (alert.state || "?");
      const meta = document.createElement("div");
      meta.className = "alert-meta";
      meta.textContent = (alert.summary || "") + (alert.since ? " (since " + ago(alert.since) + ", value " + fmt(alert.value) + ")" : "");
      item.appendChild(name);
      item.appendChild(meta);
      box.appendChild(item);
    }
  }

  // MARK: - WebSocket

  function wsURL() {
    const params = new URLSearchParams(location.search);
    if (params.get("ws")) return params.get("ws");
    const config = state.config || {};
    if (config.ws_url) return config.ws_url;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const host = location.hostname.includes(":") ? "[" + location.hostname + "]" : location.hostname;
    return scheme + "//" + host + ":" + (config.ws_port || 8080) + (config.ws_path || "/ws");
  }

  function setSocketState(text, tone, value) {
    document.body.dataset.wsState = value;
    setValue("ws-state", "WebSocket: " + text, value);
    $("ws-state").className = "pill " + tone;
  }

  function connect() {
    const url = wsURL();
    $("ws-url").textContent = url;
    let socket;
    try { socket = new WebSocket(url); } catch (error) {
      setSocketState("bad URL " + url, "bad", "error");
      return;
    }
    state.socket = socket;
    setSocketState("connecting", "warn", "connecting");
    socket.onopen = () => {
      state.socketOpen = true;
      state.retry = 0;
      setSocketState("live", "good", "open");
      send({ op: "subscribe", topics: ["stats"], id: STATS_REQUEST_ID });
      subscribeMarket();
    };
    socket.onmessage = (event) => {
      state.wsMessages += 1;
      let message;
      try { message = JSON.parse(event.data); } catch (_) { return; }
      handle(message);
    };
    socket.onclose = (event) => {
      state.socketOpen = false;
      state.book = null; // a new subscription brings a new snapshot
      const wait = Math.min(30, 2 ** state.retry);
      state.retry += 1;
      setSocketState("closed (" + event.code + (event.reason ? " " + event.reason : "") + "), retrying in " + wait + " s", "bad", "closed");
      setTimeout(connect, wait * 1000);
    };
  }

  function send(message) {
    if (state.socket && state.socketOpen) state.socket.send(JSON.stringify(message));
  }

  function handle(message) {
    if (message.epoch) state.epoch = message.epoch;
    if (message.op === "subscribe" && message.ok && message.id === STATS_REQUEST_ID) {
      state.statsTopic = "subscribed";
      return;
    }
    if (message.type === "error") {
      if (message.id === STATS_REQUEST_ID) {
        // A gateway without the stats topic: keep polling /api/v1/stream/stats.
        state.statsTopic = "refused";
      } else {
        $("book-state").textContent = "WebSocket: " + message.message;
      }
      return;
    }
    switch (message.type) {
      case "stats":
        state.lastStatsAt = Date.now();
        applyStats(message, "websocket");
        return;
      case "ticker": if (isCurrent(message)) showTicker(message, "ws"); return;
      case "book_snapshot": if (isCurrent(message)) bookSnapshot(message, "ws"); return;
      case "book_delta": if (isCurrent(message)) bookDelta(message); return;
      case "book_pending":
        if (isCurrent(message)) $("book-state").textContent = "waiting for the first book";
        return;
      case "candle":
        if (isCurrent(message) && state.market && message.interval === state.market.interval) addCandle(message, true);
        return;
      case "resync":
        if (isCurrent(message)) $("book-state").textContent = "resync: " + (message.reason || "");
        return;
      case "source_status":
        if (message.exchange === (state.market && state.market.exchange)) pollExchanges();
        return;
      default: return;
    }
  }

  // MARK: - Market

  function spelled(exchange, symbol) {
    const upper = String(symbol || "").trim().toUpperCase();
    return upper.includes("/") ? upper.replace("/", exchange === "whitebit" ? "_" : "") : upper;
  }
  function topicSource(m) { return m.exchange + (m.market === "spot" ? "" : ":" + m.market); }
  function topicsOf(m) {
    return [
      "ticker." + topicSource(m) + "." + m.symbol,
      "book." + topicSource(m) + "." + m.symbol,
      "candles." + topicSource(m) + "." + m.symbol + "." + m.interval,
    ];
  }
  function isCurrent(event) {
    const m = state.market;
    return m && event.exchange === m.exchange && event.market === m.market && String(event.symbol).toUpperCase() === m.symbol;
  }
  function subscribeMarket() {
    if (state.market) send({ op: "subscribe", topics: topicsOf(state.market), id: "dashboard-market" });
  }

  function fillPickers() {
    const config = state.config || { exchanges: [] };
    const params = new URLSearchParams(location.search);
    const exchangeSelect = $("pick-exchange");
    clear(exchangeSelect);
    const names = config.exchanges.length ? config.exchanges.map((e) => e.exchange) : Object.keys(state.marketTypes);
    for (const name of names) exchangeSelect.appendChild(new Option(name, name));
    if (params.get("exchange") && names.includes(params.get("exchange"))) exchangeSelect.value = params.get("exchange");
    fillExchangeDependent(params);
  }

  function exchangeConfig(name) {
    return ((state.config && state.config.exchanges) || []).find((e) => e.exchange === name) || {};
  }

  function fillExchangeDependent(params) {
    const name = $("pick-exchange").value;
    const config = exchangeConfig(name);
    const marketSelect = $("pick-market");
    clear(marketSelect);
    const types = state.marketTypes[name] || [config.default_market || "spot"];
    for (const type of types) marketSelect.appendChild(new Option(type, type));
    marketSelect.value = (params && params.get("market") && types.includes(params.get("market"))) ? params.get("market") : (config.default_market || types[0]);
    const list = $("symbol-list");
    clear(list);
    for (const symbol of config.markets || []) list.appendChild(new Option(symbol, symbol));
    $("pick-symbol").value = (params && params.get("symbol")) || (config.markets || [])[0] || "";
    const intervalSelect = $("pick-interval");
    clear(intervalSelect);
    const configured = config.candle_intervals || [];
    for (const interval of INTERVALS) {
      const option = new Option(interval + (configured.includes(interval) ? "" : " (not collected)"), interval);
      intervalSelect.appendChild(option);
    }
    intervalSelect.value = (params && params.get("interval") && INTERVALS.includes(params.get("interval"))) ? params.get("interval") : (configured[0] || "1m");
  }

  function watch(event) {
    if (event) event.preventDefault();
    const exchange = $("pick-exchange").value;
    if (!exchange) return;
    const next = {
      exchange,
      market: $("pick-market").value || "spot",
      symbol: spelled(exchange, $("pick-symbol").value),
      interval: $("pick-interval").value || "1m",
    };
    if (!next.symbol) return;
    if (state.market) send({ op: "unsubscribe", topics: topicsOf(state.market) });
    state.market = next;
    state.ticker = null;
    state.book = null;
    state.candles = new Map();
    state.latencySamples = { exchange: [], page: [] };
    for (const name of ["exchange → gateway", "gateway → page"]) state.series.delete(name);
    const params = new URLSearchParams(location.search);
    for (const key of ["exchange", "market", "symbol", "interval"]) params.set(key, next[key]);
    history.replaceState(null, "", location.pathname + "?" + params.toString());
    $("ticker-symbol").textContent = next.exchange + " · " + next.market + " · " + next.symbol;
    $("ticker").dataset.topic = topicsOf(next)[0];
    for (const id of ["ticker-bid", "ticker-ask", "ticker-change", "ticker-volume"]) $(id).textContent = "–";
    setValue("ticker-last", "–", "");
    $("ticker-last").dataset.time = "";
    $("book-state").textContent = "loading…";
    renderBook();
    subscribeMarket();
    loadMarketREST(next);
  }

  async function loadMarketREST(m) {
    const base = "/api/v1/exchanges/" + encodeURIComponent(m.exchange);
    const query = "?market=" + encodeURIComponent(m.market);
    const symbol = encodeURIComponent(m.symbol);
    const [ticker, book, history] = await Promise.all([
      api(base + "/ticker/" + symbol + query),
      api(base + "/orderbook/" + symbol + query + "&depth=50"),
      api(base + "/ohlcv/" + symbol + query + "&timeframe=" + encodeURIComponent(m.interval) + "&limit=150"),
    ]);
    if (state.market !== m) return; // another market was picked meanwhile
    if (ticker.ok && ticker.json) showTicker(ticker.json, "rest");
    else if (!state.ticker) $("ticker-time").textContent = unavailable(ticker, "ticker");
    if (book.ok && book.json && !(state.book && state.book.source === "ws")) bookSnapshot(book.json, "rest");
    else if (!state.book) $("book-state").textContent = book.status === 404 ? "no book yet" : unavailable(book, "orderbook");
    if (history.ok && history.json && Array.isArray(history.json.candles)) {
      for (const candle of history.json.candles) addCandle(candle, false);
      state.candleNote = "history from PostgreSQL, then live";
    } else {
      state.candleNote = history.status === 503 ? "no stored history (PostgreSQL unavailable): live candles only"
        : "stored history " + unavailable(history, "ohlcv") + ": live candles only";
      const latest = await api("/api/v1/candles/" + encodeURIComponent(m.exchange) + "/" + symbol + "/" + encodeURIComponent(m.interval));
      if (state.market === m && latest.ok && latest.json) addCandle(latest.json, false);
    }
    drawCandles();
  }

  function showTicker(ticker, source) {
    const previous = state.ticker;
    const received = Date.parse(ticker.received_at);
    if (previous && isNum(received) && received < Date.parse(previous.received_at)) return; // older than shown
    state.ticker = ticker;
    const last = $("ticker-last");
    setValue("ticker-last", ticker.last || "–", ticker.last || "");
    last.dataset.time = ticker.time || ticker.received_at || "";
    last.dataset.receivedAt = ticker.received_at || "";
    last.dataset.source = source;
    $("ticker").dataset.value = ticker.last || "";
    $("ticker").dataset.time = last.dataset.time;
    last.classList.remove("up", "down");
    if (previous && previous.last && ticker.last) {
      const order = decimalCompare(ticker.last, previous.last);
      if (order > 0) last.classList.add("up"); else if (order < 0) last.classList.add("down");
    }
    $("ticker-bid").textContent = ticker.bid || "–";
    $("ticker-ask").textContent = ticker.ask || "–";
    $("ticker-change").textContent = ticker.change_percent !== null && ticker.change_percent !== undefined ? ticker.change_percent + " %" : "–";
    $("ticker-volume").textContent = ticker.volume || "–";
    $("ticker-time").textContent = (ticker.time ? "exchange time " + ticker.time.slice(11, 23) : "") + " · " + (source === "ws" ? "live" : "REST");
    if (source === "ws") {
      document.body.dataset.live = "true";
      sampleLatency(ticker);
    }
  }

  function sampleLatency(event) {
    const now = Date.now();
    const received = Date.parse(event.received_at);
    const time = Date.parse(event.time);
    if (isNum(received) && isNum(time)) state.latencySamples.exchange.push(received - time);
    if (isNum(received)) state.latencySamples.page.push(now - received);
  }

  function bookSnapshot(snapshot, source) {
    const book = { bids: new Map(), asks: new Map(), seq: source === "ws" ? snapshot.seq : null, source, updateId: snapshot.update_id ?? snapshot.last_update_id ?? null };
    for (const [price, quantity] of snapshot.bids || []) if (!isZero(quantity)) book.bids.set(priceKey(price), [price, quantity]);
    for (const [price, quantity] of snapshot.asks || []) if (!isZero(quantity)) book.asks.set(priceKey(price), [price, quantity]);
    book.syncState = snapshot.sync_state || (source === "ws" ? "live" : "");
    state.book = book;
    renderBook();
  }

  function bookDelta(delta) {
    const book = state.book;
    if (!book || book.source !== "ws") return; // the snapshot that follows the subscription comes first
    if (book.seq !== null && delta.seq !== book.seq + 1) {
      // A missed delta: the book can no longer be trusted; a fresh subscription sends a new snapshot.
      $("book-state").textContent = "sequence gap (" + book.seq + " → " + delta.seq + "), resubscribing";
      state.book = null;
      const topic = topicsOf(state.market)[1];
      send({ op: "unsubscribe", topics: [topic] });
      send({ op: "subscribe", topics: [topic] });
      return;
    }
    book.seq = delta.seq;
    book.updateId = delta.last_update_id ?? book.updateId;
    for (const [side, levels] of [["bids", delta.bids], ["asks", delta.asks]]) {
      for (const [price, quantity] of levels || []) {
        const key = priceKey(price);
        if (isZero(quantity)) book[side].delete(key); else book[side].set(key, [price, quantity]);
      }
    }
    sampleLatency(delta);
    state.bookDirty = true;
  }

  const BOOK_ROWS = 13;

  function renderBook() {
    state.bookDirty = false;
    const asksTable = $("book-asks"), bidsTable = $("book-bids");
    clear(asksTable); clear(bidsTable);
    const book = state.book;
    if (!book) {
      for (const table of [asksTable, bidsTable]) {
        const row = table.insertRow();
        const td = cell(row, "–", "empty");
        td.colSpan = 3;
      }
      setValue("book-spread", "–", "");
      return;
    }
    // Numbers only order the levels and size the bars; the text is the exchange's own strings.
    const asks = [...book.asks.values()].sort((a, b) => Number(a[0]) - Number(b[0])).slice(0, BOOK_ROWS);
    const bids = [...book.bids.values()].sort((a, b) => Number(b[0]) - Number(a[0])).slice(0, BOOK_ROWS);
    const cumulative = (levels) => {
      let total = "0";
      return levels.map(([price, quantity]) => { total = decimalOp(total, quantity, "+") || total; return [price, quantity, total]; });
    };
    const askRows = cumulative(asks), bidRows = cumulative(bids);
    const maxTotal = Math.max(Number(askRows.length ? askRows[askRows.length - 1][2] : 0), Number(bidRows.length ? bidRows[bidRows.length - 1][2] : 0)) || 1;
    const addRows = (table, rows, side) => {
      for (const [price, quantity, total] of rows) {
        const row = table.insertRow();
        row.dataset.price = price;
        const priceCell = cell(row, price, "price");
        cell(row, quantity, "qty");
        cell(row, total, "total");
        // The depth bar: a gradient on the row, set through the CSSOM (allowed by the page's policy).
        const percent = Math.min(100, (Number(total) / maxTotal) * 100).toFixed(1) + "%";
        const color = side === "ask" ? "var(--ask-depth)" : "var(--bid-depth)";
        row.style.background = "linear-gradient(to left, " + color + " " + percent + ", transparent " + percent + ")";
        priceCell.dataset.side = side;
      }
      if (rows.length === 0) { const td = cell(table.insertRow(), "no levels", "empty"); td.colSpan = 3; }
    };
    addRows(asksTable, askRows.slice().reverse(), "ask");
    addRows(bidsTable, bidRows, "bid");
    if (asks.length && bids.length) {
      const spread = decimalOp(asks[0][0], bids[0][0], "-");
      setValue("book-spread", "spread " + spread, spread);
    } else {
      setValue("book-spread", "–", "");
    }
    const stateText = (book.source === "ws" ? "live" : "REST snapshot") + (book.syncState && book.syncState !== "live" ? " · " + book.syncState : "")
      + " · " + book.bids.size + " bids / " + book.asks.size + " asks" + (book.updateId !== null ? " · update " + book.updateId : "");
    setValue("book-state", stateText, book.source);
    $("book-state").dataset.seq = book.seq === null ? "" : String(book.seq);
    $("book-state").dataset.updateId = book.updateId === null ? "" : String(book.updateId);
  }

  function intervalMs(interval) {
    const m = /^(\d+)([smhdwM])$/.exec(interval || "");
    if (!m) return 60000;
    const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, M: 2.592e9 }[m[2]];
    return Number(m[1]) * unit;
  }

  function addCandle(candle, live) {
    const t = Date.parse(candle.open_time);
    if (!isNum(t)) return;
    const entry = {
      t, o: Number(candle.open), h: Number(candle.high), l: Number(candle.low), c: Number(candle.close),
      v: Number(candle.volume), closed: candle.closed !== false, close: candle.close,
    };
    if (![entry.o, entry.h, entry.l, entry.c].every(isFinite)) return;
    state.candles.set(t, entry);
    if (state.candles.size > 400) {
      const oldest = Math.min(...state.candles.keys());
      state.candles.delete(oldest);
    }
    if (live) state.candlesDirty = true;
  }

  function drawCandles() {
    state.candlesDirty = false;
    const candles = [...state.candles.values()].sort((a, b) => a.t - b.t);
    const last = candles.length ? candles[candles.length - 1].close : "";
    const note = $("candle-note");
    note.dataset.count = String(candles.length);
    note.textContent = (state.market ? state.market.interval + " · " : "") + candles.length + " candles" + (state.candleNote ? " · " + state.candleNote : "");
    candleChart.draw(candles, last, state.market ? "waiting for " + state.market.interval + " candles…" : "pick a market", intervalMs(state.market && state.market.interval));
  }

  // MARK: - Charts

  const ratesChart = new Charts.LineChart($("rates-chart"), { windowMs: HISTORY_MS, unit: "/s" });
  const latencyChart = new Charts.LineChart($("latency-chart"), { windowMs: HISTORY_MS, unit: " ms" });
  const candleChart = new Charts.CandleChart($("candle-chart"));

  function median(values) {
    if (!values.length) return null;
    const sorted = values.slice().sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  /** Once a second: the page's own figures, then every chart. */
  function tick() {
    const now = Date.now();
    const rate = state.wsMessages;
    state.wsMessages = 0;
    setValue("ws-in", rate + " msg/s in", rate);
    pushPoint("ws → this page", rate, now);
    const samples = state.latencySamples;
    pushPoint("exchange → gateway", median(samples.exchange), now);
    pushPoint("gateway → page", median(samples.page), now);
    state.latencySamples = { exchange: [], page: [] };
    drawCharts();
    if (state.bookDirty) renderBook();
    if (state.candlesDirty) drawCandles();
  }

  function drawCharts() {
    const rateNames = ["total", ...Object.keys(state.exchangeStats), "ws → this page"];
    ratesChart.draw(rateNames.filter((n) => state.series.has(n)).map((name) => ({ name, points: state.series.get(name) })), "waiting for data…");
    // The gateway's per-stage percentiles when it reports them; else what this page measures itself.
    const stages = [...state.series.keys()].filter((n) => / p(50|99)$/.test(n));
    const latencyNames = stages.length ? stages : ["exchange → gateway", "gateway → page"];
    latencyChart.draw(latencyNames.filter((n) => state.series.has(n)).map((name) => ({ name, points: state.series.get(name) })), "waiting for events…");
  }

  // MARK: - Admin token and actions

  function showTokenState(text, tone) {
    setValue("token-state", text, tone || "none");
    $("token-state").className = tone === "bad" ? "bad-text" : "muted";
  }

  async function checkToken() {
    if (!token()) { showTokenState("none"); return; }
    const result = await api("/api/v1/admin/websocket/stats", { admin: true });
    if (result.ok) showTokenState("accepted", "good");
    else showTokenState(result.status === 401 ? "refused" : result.status === 403 ? "admin disabled" : "unchecked (" + result.status + ")", "bad");
  }

  async function action(path, body, label) {
    const out = $("action-result");
    if (!token()) {
      out.textContent = "Enter the admin token first (top right).";
      out.className = "action-result bad";
      return;
    }
    out.textContent = label + "…";
    out.className = "action-result muted";
    const result = await api(path, { method: "POST", body, admin: true });
    if (result.ok) {
      const reply = result.json || {};
      out.textContent = label + ": " + (reply.message || "done") + (reply.throttle_percent !== undefined ? " (throttle " + reply.previous_percent + " → " + reply.throttle_percent + " %)" : "");
      out.className = "action-result good";
    } else {
      out.textContent = label + ": " + unavailable(result, path, true);
      out.className = "action-result bad";
    }
    poll();
  }

  function bind() {
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("token-input").value.trim();
      if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
      $("token-input").value = "";
      checkToken();
      poll();
    });
    $("token-forget").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      showTokenState("none");
      poll();
    });
    $("market-form").addEventListener("submit", watch);
    $("pick-exchange").addEventListener("change", () => { fillExchangeDependent(null); watch(); });
    for (const id of ["pick-market", "pick-interval"]) $(id).addEventListener("change", () => watch());
    $("action-throttle").addEventListener("click", () =>
      action("/api/v1/stream/throttle", { action: "throttle", throttle_percent: 90 }, "Throttle 90 %"));
    $("action-restore").addEventListener("click", () =>
      action("/api/v1/stream/throttle", { action: "throttle", throttle_percent: 0 }, "Restore"));
    $("action-stop").addEventListener("click", () => {
      if (window.confirm("Emergency stop: stop ingesting and publishing until restarted?")) {
        action("/api/v1/admin/emergency", { action: "stop" }, "Emergency stop");
      }
    });
    $("action-restart").addEventListener("click", () =>
      action("/api/v1/admin/emergency", { action: "restart" }, "Restart"));
    window.addEventListener("resize", () => { drawCharts(); drawCandles(); });
  }

  // MARK: - Start

  async function start() {
    // A token may be handed over once in the fragment (#token=…): it never reaches a server or a log,
    // is kept in sessionStorage only, and is removed from the address bar at once.
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.get("token")) {
      sessionStorage.setItem(TOKEN_KEY, fragment.get("token"));
      history.replaceState(null, "", location.pathname + location.search);
    }
    bind();
    const [config, exchanges] = await Promise.all([api("/dashboard/config.json"), api("/api/v1/exchanges")]);
    state.config = config.ok && config.json ? config.json : { exchanges: [], poll_seconds: 2 };
    if (!config.ok) $("updated").textContent = "config.json: " + unavailable(config, "/dashboard/config.json");
    if (exchanges.ok && exchanges.json) {
      for (const e of exchanges.json.exchanges || []) state.marketTypes[e.name] = e.market_types;
    }
    $("poll-seconds").textContent = String(pollSeconds());
    if (!state.config.admin_enabled) showTokenState("admin routes disabled", "bad"); else checkToken();
    fillPickers();
    connect();
    watch();
    poll();
    setInterval(poll, pollSeconds() * 1000);
    setInterval(tick, 1000);
    drawCharts();
    drawCandles();
  }

  start();
})();
