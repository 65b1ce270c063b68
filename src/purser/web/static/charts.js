/* Tiny inline-SVG charts for the dashboard (no dependencies). Each returns an <svg> with a <title>
 * and a visually hidden table alternative is built by the caller. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  function s(tag, attrs, text) {
    var n = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function frame(title, w, h) {
    var svg = s("svg", { viewBox: "0 0 " + w + " " + h, role: "img", "aria-label": title });
    svg.appendChild(s("title", {}, title));
    return svg;
  }
  /* Vertical bars: items [{label, value}], optional limit line {value, label}. */
  function bars(title, items, opts) {
    opts = opts || {};
    var w = 480, h = 220, left = 44, bottom = 40, top = 16;
    var svg = frame(title, w, h);
    var max = Math.max.apply(null, items.map(function (i) { return i.value; }).concat([opts.limit ? opts.limit.value : 0, 1]));
    var plotH = h - bottom - top, plotW = w - left - 8;
    var bw = plotW / Math.max(items.length, 1);
    svg.appendChild(s("line", { x1: left, y1: h - bottom, x2: w - 8, y2: h - bottom, stroke: "#9ca3af" }));
    [0, 0.5, 1].forEach(function (f) {
      var y = h - bottom - f * plotH;
      svg.appendChild(s("text", { x: left - 6, y: y + 4, "text-anchor": "end", "font-size": 10, fill: "#4b5563" }, fmt(max * f, opts)));
    });
    items.forEach(function (it, i) {
      var bh = (it.value / max) * plotH;
      var x = left + i * bw + bw * 0.15;
      var r = s("rect", { x: x, y: h - bottom - bh, width: bw * 0.7, height: Math.max(bh, 0), fill: it.color || opts.color || "#4f46e5", rx: 2 });
      r.appendChild(s("title", {}, it.label + ": " + fmt(it.value, opts)));
      svg.appendChild(r);
      if (items.length <= 16 && (items.length <= 8 || i % 2 === 0)) {
        svg.appendChild(s("text", { x: x + bw * 0.35, y: h - bottom + 14, "text-anchor": "middle", "font-size": 9, fill: "#4b5563" }, it.short || it.label));
      }
    });
    if (opts.limit) {
      var ly = h - bottom - (opts.limit.value / max) * plotH;
      svg.appendChild(s("line", { x1: left, y1: ly, x2: w - 8, y2: ly, stroke: "#dc2626", "stroke-dasharray": "5 4", "stroke-width": 1.5 }));
      svg.appendChild(s("text", { x: w - 10, y: ly - 4, "text-anchor": "end", "font-size": 10, fill: "#dc2626" }, opts.limit.label));
    }
    return svg;
  }
  /* One horizontal gauge: used against a limit. */
  function gauge(title, used, limit, opts) {
    opts = opts || {};
    var w = 480, h = 70;
    var svg = frame(title, w, h);
    var frac = limit > 0 ? Math.min(used / limit, 1) : 0;
    var color = frac >= 0.9 ? "#dc2626" : frac >= 0.6 ? "#d97706" : "#059669";
    svg.appendChild(s("rect", { x: 0, y: 20, width: w, height: 22, fill: "#e5e7eb", rx: 6 }));
    svg.appendChild(s("rect", { x: 0, y: 20, width: w * frac, height: 22, fill: color, rx: 6 }));
    svg.appendChild(s("text", { x: 0, y: 14, "font-size": 12, fill: "#111827" }, fmt(used, opts) + " of " + fmt(limit, opts) + " (" + Math.round(frac * 100) + "%)"));
    return svg;
  }
  /* Donut for a rate in percent. */
  function donut(title, percent) {
    var w = 160, h = 160, r = 60, c = 2 * Math.PI * r;
    var svg = frame(title, w, h);
    svg.appendChild(s("circle", { cx: 80, cy: 80, r: r, fill: "none", stroke: "#e5e7eb", "stroke-width": 18 }));
    svg.appendChild(s("circle", { cx: 80, cy: 80, r: r, fill: "none", stroke: "#059669", "stroke-width": 18,
      "stroke-dasharray": (c * percent / 100) + " " + c, transform: "rotate(-90 80 80)" }));
    svg.appendChild(s("text", { x: 80, y: 86, "text-anchor": "middle", "font-size": 22, "font-weight": 700, fill: "#111827" }, Math.round(percent) + "%"));
    return svg;
  }
  function fmt(v, opts) {
    if (opts && opts.currency) {
      try { return new Intl.NumberFormat(undefined, { style: "currency", currency: opts.currency.toUpperCase(), maximumFractionDigits: 2 }).format(v); }
      catch (e) { return v.toFixed(2); }
    }
    if (opts && opts.unit) return Math.round(v) + opts.unit;
    return Math.abs(v) < 1 && v !== 0 ? v.toFixed(4) : String(Math.round(v * 100) / 100);
  }
  window.PurserCharts = { bars: bars, gauge: gauge, donut: donut };
})();
