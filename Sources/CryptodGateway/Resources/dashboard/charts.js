// Small <canvas> charts for the cryptod dashboard, without any library. Numbers here only place pixels:
// prices shown as text come from the gateway's exact strings, never from these floats.
"use strict";

(function (global) {
  const COLORS = ["#4cc9f0", "#f72585", "#b5e48c", "#ffd166", "#c77dff", "#ff9f1c", "#90e0ef", "#e0aaff"];
  const GRID = "#263141";
  const AXIS = "#8494a7";
  const FONT = '11px system-ui, -apple-system, "DejaVu Sans", sans-serif';

  /** Sizes the canvas for the screen's pixel ratio and clears it; returns the context and CSS size. */
  function prepare(canvas) {
    const ratio = global.devicePixelRatio || 1;
    const width = Math.max(10, canvas.clientWidth);
    const height = Math.max(10, canvas.clientHeight);
    const pixelWidth = Math.round(width * ratio);
    const pixelHeight = Math.round(height * ratio);
    if (canvas.width !== pixelWidth || canvas.height !== pixelHeight) {
      canvas.width = pixelWidth;
      canvas.height = pixelHeight;
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = FONT;
    return { ctx, width, height };
  }

  /** About `count` round values covering [min, max]. */
  function ticks(min, max, count) {
    if (!(max > min)) return [min];
    const raw = (max - min) / Math.max(1, count);
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
    const result = [];
    for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) result.push(+v.toPrecision(12));
    return result;
  }

  /** Short axis text: 1234 → 1.23k, 0.000123 → 0.000123. */
  function formatNumber(value) {
    if (value === null || value === undefined || !isFinite(value)) return "–";
    const abs = Math.abs(value);
    if (abs >= 1e9) return (value / 1e9).toFixed(2) + "G";
    if (abs >= 1e6) return (value / 1e6).toFixed(2) + "M";
    if (abs >= 1e4) return (value / 1e3).toFixed(1) + "k";
    if (abs >= 100) return value.toFixed(0);
    if (abs >= 1) return value.toFixed(2).replace(/\.?0+$/, "");
    if (abs === 0) return "0";
    return value.toPrecision(3);
  }

  function clock(ms, seconds) {
    const d = new Date(ms);
    const pad = (n) => String(n).padStart(2, "0");
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + (seconds ? ":" + pad(d.getSeconds()) : "");
  }

  function message(ctx, width, height, text) {
    ctx.save();
    ctx.fillStyle = AXIS;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.font = '13px system-ui, -apple-system, "DejaVu Sans", sans-serif';
    ctx.fillText(text, width / 2, height / 2);
    ctx.restore();
  }

  /**
   * A rolling line chart: each series is {name, color?, points: [[timeMs, value], …]}; the x axis is the last
   * `windowMs` up to now, the y axis starts at 0 and fits the visible values.
   */
  class LineChart {
    constructor(canvas, options) {
      this.canvas = canvas;
      this.windowMs = (options && options.windowMs) || 5 * 60 * 1000;
      this.unit = (options && options.unit) || "";
    }

    draw(series, emptyText) {
      const { ctx, width, height } = prepare(this.canvas);
      const now = Date.now();
      // The x axis covers the data collected so far (at least a minute), up to the whole window.
      let earliest = now;
      for (const s of series) if (s.points.length) earliest = Math.min(earliest, s.points[0][0]);
      const span = Math.min(this.windowMs, Math.max(60 * 1000, now - earliest));
      const start = now - span;
      const visible = series
        .map((s, i) => ({ ...s, color: s.color || COLORS[i % COLORS.length], points: s.points.filter((p) => p[0] >= start) }))
        .filter((s) => s.points.length > 0);
      if (visible.length === 0) {
        message(ctx, width, height, emptyText || "waiting for data…");
        return;
      }
      let max = 0;
      for (const s of visible) for (const p of s.points) if (isFinite(p[1])) max = Math.max(max, p[1]);
      max = max > 0 ? max * 1.12 : 1;
      const yTicks = ticks(0, max, 4);
      max = Math.max(max, yTicks[yTicks.length - 1]);
      // The left margin fits the widest axis label.
      const labelWidth = Math.max(...yTicks.map((v) => ctx.measureText(formatNumber(v) + this.unit).width));
      // Legend rows along the top: name and latest value of each series.
      const left = Math.ceil(labelWidth) + 12, right = 10, bottom = 20;
      const entries = visible.map((s) => ({ s, text: s.name + " " + formatNumber(s.points[s.points.length - 1][1]) + this.unit }));
      const rows = [[]];
      let rowWidth = 0;
      for (const entry of entries) {
        const w = ctx.measureText(entry.text).width + 28;
        if (rowWidth + w > width - left - right && rows[rows.length - 1].length) { rows.push([]); rowWidth = 0; }
        rows[rows.length - 1].push(entry);
        rowWidth += w;
      }
      const top = 10 + rows.length * 15;
      const plotW = width - left - right, plotH = height - top - bottom;
      const x = (t) => left + ((t - start) / span) * plotW;
      const y = (v) => top + plotH - (v / max) * plotH;

      ctx.strokeStyle = GRID;
      ctx.fillStyle = AXIS;
      ctx.lineWidth = 1;
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      for (const v of yTicks) {
        const py = Math.round(y(v)) + 0.5;
        ctx.beginPath(); ctx.moveTo(left, py); ctx.lineTo(width - right, py); ctx.stroke();
        ctx.fillText(formatNumber(v) + this.unit, left - 6, py);
      }
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      const step = [5, 10, 15, 30, 60, 120, 300, 600].map((s) => s * 1000).find((s) => span / s <= 8) || 600000;
      for (let t = Math.ceil(start / step) * step; t <= now; t += step) {
        const px = x(t);
        if (px < left + 16 || px > width - right - 16) continue;
        ctx.fillText(clock(t, step < 60000), px, top + plotH + 5);
      }

      for (const s of visible) {
        ctx.strokeStyle = s.color;
        ctx.lineWidth = 1.6;
        ctx.beginPath();
        let first = true;
        for (const p of s.points) {
          if (!isFinite(p[1])) { first = true; continue; }
          if (first) ctx.moveTo(x(p[0]), y(p[1])); else ctx.lineTo(x(p[0]), y(p[1]));
          first = false;
        }
        ctx.stroke();
      }

      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      rows.forEach((row, index) => {
        let lx = left;
        const ly = 8 + index * 15;
        for (const { s, text } of row) {
          ctx.fillStyle = s.color;
          ctx.fillRect(lx, ly - 1, 10, 3);
          ctx.fillStyle = "#dbe4ee";
          ctx.fillText(text, lx + 14, ly);
          lx += ctx.measureText(text).width + 28;
        }
      });
    }
  }

  /**
   * Candlesticks with a volume band: candles are {t (open time ms), o, h, l, c, v, closed}; the last
   * price line is labelled with `lastText` (the exact string).
   */
  class CandleChart {
    constructor(canvas) {
      this.canvas = canvas;
    }

    draw(candles, lastText, emptyText, intervalMs) {
      const { ctx, width, height } = prepare(this.canvas);
      if (candles.length === 0) {
        message(ctx, width, height, emptyText || "waiting for candles…");
        return;
      }
      const left = 8, right = 78, top = 10, bottom = 20;
      const volumeH = Math.round((height - top - bottom) * 0.18);
      const plotW = width - left - right;
      const priceH = height - top - bottom - volumeH - 6;
      const slot = Math.max(3, Math.min(16, plotW / Math.max(candles.length, 40)));
      const shown = candles.slice(-Math.floor(plotW / slot));
      let low = Infinity, high = -Infinity, maxVolume = 0;
      for (const c of shown) {
        low = Math.min(low, c.l); high = Math.max(high, c.h);
        if (isFinite(c.v)) maxVolume = Math.max(maxVolume, c.v);
      }
      if (!(high > low)) { const pad = Math.abs(high) * 0.001 || 1; high += pad; low -= pad; }
      const pad = (high - low) * 0.08;
      high += pad; low -= pad;
      const y = (v) => top + priceH - ((v - low) / (high - low)) * priceH;
      const xOf = (i) => left + plotW - (shown.length - i) * slot + slot / 2;

      ctx.strokeStyle = GRID;
      ctx.fillStyle = AXIS;
      ctx.lineWidth = 1;
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      const lastY = y(candles[candles.length - 1].c);
      for (const v of ticks(low, high, 5)) {
        const py = Math.round(y(v)) + 0.5;
        if (py < top + 6 || py > top + priceH) continue;
        ctx.beginPath(); ctx.moveTo(left, py); ctx.lineTo(left + plotW, py); ctx.stroke();
        // The last price's label takes precedence over a grid label next to it.
        if (Math.abs(py - lastY) > 14) ctx.fillText(v.toLocaleString("en-US", { maximumFractionDigits: 8 }), left + plotW + 6, py);
      }
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      const labelEvery = Math.max(1, Math.ceil(70 / slot));
      shown.forEach((c, i) => {
        if ((shown.length - 1 - i) % labelEvery === 0) {
          ctx.fillText(clock(c.t, intervalMs < 60000), xOf(i), height - bottom + 5);
        }
      });

      const body = Math.max(1, slot * 0.64);
      shown.forEach((c, i) => {
        const up = c.c >= c.o;
        const color = up ? "#3ddc97" : "#ff6b7d";
        const cx = Math.round(xOf(i)) + 0.5;
        ctx.strokeStyle = color;
        ctx.fillStyle = color;
        ctx.globalAlpha = c.closed ? 1 : 0.75;
        ctx.beginPath(); ctx.moveTo(cx, y(c.h)); ctx.lineTo(cx, y(c.l)); ctx.stroke();
        const y1 = y(Math.max(c.o, c.c)), y2 = y(Math.min(c.o, c.c));
        ctx.fillRect(cx - body / 2, y1, body, Math.max(1, y2 - y1));
        if (maxVolume > 0 && isFinite(c.v)) {
          const vh = (c.v / maxVolume) * volumeH;
          ctx.globalAlpha = 0.35;
          ctx.fillRect(cx - body / 2, top + priceH + 6 + volumeH - vh, body, vh);
        }
        ctx.globalAlpha = 1;
      });

      const last = shown[shown.length - 1];
      const py = Math.round(y(last.c)) + 0.5;
      ctx.strokeStyle = "#4cc9f0";
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(left, py); ctx.lineTo(left + plotW, py); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#4cc9f0";
      ctx.fillRect(left + plotW + 2, py - 8, right - 4, 16);
      ctx.fillStyle = "#0f141b";
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      ctx.fillText(lastText, left + plotW + 6, py);
    }
  }

  global.CryptodCharts = { LineChart, CandleChart, COLORS, formatNumber };
})(window);
