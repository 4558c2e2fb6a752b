// The analyst dashboard's charts: each fetches its report from /api/v1/analytics/<report>/
// with the page's filters and draws it with Chart.js (loaded before this file).
(function () {
  "use strict";
  const root = document.getElementById("analytics-root");
  if (!root || typeof Chart === "undefined") return;
  const api = JSON.parse(document.getElementById("analytics-api").textContent);
  const label = JSON.parse(document.getElementById("analytics-labels").textContent);
  const query = root.dataset.query;
  const palette = ["#206bc4", "#2fb344", "#f59f00", "#d63939", "#ae3ec9", "#17a2b8", "#74b816"];
  const charts = {};
  window.K2Analytics = { charts: charts, ready: null };

  function fetchReport(name) {
    const url = api[name] + (query ? "?" + query : "");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(name + ": HTTP " + r.status); return r.json(); });
  }

  function draw(id, type, labels, datasets, extra) {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    datasets.forEach(function (d, i) {
      d.borderColor = d.borderColor || palette[i % palette.length];
      d.backgroundColor = d.backgroundColor || palette[i % palette.length] + (type === "line" ? "33" : "cc");
    });
    charts[id] = new Chart(canvas, Object.assign({
      type: type,
      data: { labels: labels, datasets: datasets },
      options: {
        maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } },
      },
    }, extra || {}));
  }

  const column = function (rows, key) { return rows.map(function (r) { return r[key] || 0; }); };

  const jobs = [
    fetchReport("summary").then(function (d) {
      draw("chart-active-users", "line", d.rows.map(function (r) { return r.day; }),
        ["dau", "wau", "mau"].map(function (k) { return { label: label[k], data: column(d.rows, k), tension: 0.2 }; }));
    }),
    fetchReport("features").then(function (d) {
      draw("chart-top-features", "bar", d.rows.map(function (r) { return r.feature; }),
        [{ label: label.requests, data: column(d.rows, "requests") }], { options: {
          indexAxis: "y", maintainAspectRatio: false, animation: false,
          plugins: { legend: { display: false } } } });
      draw("chart-feature-trend", "line", d.trend.labels,
        d.trend.series.map(function (s) { return { label: s.feature, data: s.data, tension: 0.2 }; }));
    }),
    fetchReport("lifecycle").then(function (d) {
      draw("chart-lifecycle", "bar", d.rows.map(function (r) { return r.week; }),
        ["created", "renewed", "expired"].map(function (k) { return { label: label[k], data: column(d.rows, k) }; }));
    }),
    fetchReport("approvals").then(function (d) {
      draw("chart-approvals", "bar", d.rows.map(function (r) { return r.name; }), [
        { label: label.median, data: column(d.rows, "median_hours") },
        { label: label.p90, data: column(d.rows, "p90_hours") },
      ]);
    }),
    fetchReport("apps").then(function (d) {
      draw("chart-apps", "bar", d.rows.map(function (r) { return r.cluster + " (" + r.environment + ")"; }),
        [{ label: label.apps, data: column(d.rows, "apps") }]);
    }),
  ];
  window.K2Analytics.ready = Promise.allSettled(jobs).then(function (results) {
    results.forEach(function (r) { if (r.status === "rejected") console.error(r.reason); });
    document.body.dataset.analyticsReady = "1";
  });
})();
