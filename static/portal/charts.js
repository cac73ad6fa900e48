// Charts of the partner portal and the operations dashboard (Chart.js, served by the hub: static/vendor/chartjs).
// Data comes from json_script blocks; no inline script (the pages' CSP is script-src 'self').
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") return;
  var Chart = window.Chart;
  Chart.defaults.animation = false;
  Chart.defaults.font.size = 11;

  function label(iso, window_) {
    var d = new Date(iso);
    var hh = String(d.getUTCHours()).padStart(2, "0"), mm = String(d.getUTCMinutes()).padStart(2, "0");
    if (window_ === "week" || window_ === "7d") return (d.getUTCMonth() + 1) + "/" + d.getUTCDate() + " " + hh + "h";
    if (window_ === "30d") return (d.getUTCMonth() + 1) + "/" + d.getUTCDate();
    return hh + ":" + mm;
  }

  function healthCharts() {
    var node = document.getElementById("health-data");
    if (!node) return;
    var data = JSON.parse(node.textContent);
    document.querySelectorAll("canvas[data-window]").forEach(function (canvas) {
      var w = canvas.getAttribute("data-window"), series = data[w] || [];
      new Chart(canvas, {
        type: "line",
        data: {
          labels: series.map(function (b) { return label(b.start, w); }),
          datasets: [
            { label: "success %", data: series.map(function (b) { return b.success_rate; }), yAxisID: "rate",
              borderColor: "#2e7d32", backgroundColor: "#2e7d32", spanGaps: true, pointRadius: 2 },
            { label: "p50 ms", data: series.map(function (b) { return b.p50_ms; }), yAxisID: "ms",
              borderColor: "#1565c0", backgroundColor: "#1565c0", spanGaps: true, pointRadius: 2 },
            { label: "p99 ms", data: series.map(function (b) { return b.p99_ms; }), yAxisID: "ms",
              borderColor: "#ef6c00", backgroundColor: "#ef6c00", spanGaps: true, pointRadius: 2, borderDash: [4, 3] }
          ]
        },
        options: {
          maintainAspectRatio: false,
          scales: {
            rate: { position: "left", min: 0, max: 100, title: { display: true, text: "%" } },
            ms: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "ms" } }
          }
        }
      });
    });
  }

  function opsCharts() {
    var node = document.getElementById("ops-data");
    if (!node) return;
    var data = JSON.parse(node.textContent);
    document.querySelectorAll("canvas[data-partner]").forEach(function (canvas) {
      var p = data[canvas.getAttribute("data-partner")];
      if (!p) return;
      new Chart(canvas, {
        data: {
          labels: p.slots.map(function (h) { return label(h, p.range); }),
          datasets: [
            { type: "bar", label: (p.bucket === "day" ? "sessions / day" : "sessions / h"), data: p.sessions, yAxisID: "n", backgroundColor: "rgba(120,144,156,0.35)" },
            { type: "line", label: "bets " + p.currency, data: p.bets.map(Number), yAxisID: "money", borderColor: "#1565c0", backgroundColor: "#1565c0", pointRadius: 1 },
            { type: "line", label: "wins " + p.currency, data: p.wins.map(Number), yAxisID: "money", borderColor: "#ef6c00", backgroundColor: "#ef6c00", pointRadius: 1 },
            { type: "line", label: "GGR " + p.currency, data: p.ggr.map(Number), yAxisID: "money", borderColor: "#2e7d32", backgroundColor: "#2e7d32", pointRadius: 1 }
          ]
        },
        options: {
          maintainAspectRatio: false,
          plugins: { legend: { labels: { boxWidth: 14 } } },
          scales: {
            x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
            money: { position: "left", title: { display: true, text: p.currency } },
            n: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 }, title: { display: true, text: "sessions" } }
          }
        }
      });
    });
  }

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () { healthCharts(); opsCharts(); });
})();
