// The event center's chart (occurrences per hour, Normal and Warning) and the app page's
// memory chart (usage - cache and working set, MiB), drawn with Chart.js.
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  function draw(id, labels, datasets, stacked) {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: stacked ? "bar" : "line",
      data: { labels: labels, datasets: datasets },
      options: {
        maintainAspectRatio: false, animation: false,
        scales: { x: { stacked: !!stacked }, y: { stacked: !!stacked, beginAtZero: true } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
  const data = document.getElementById("events-chart-data");
  if (data) {
    const d = JSON.parse(data.textContent);
    const names = document.getElementById("events-chart-labels").dataset;
    draw("events-chart", d.labels, [
      { label: names.warning, data: d.warning, backgroundColor: "#f59f00cc" },
      { label: names.normal, data: d.normal, backgroundColor: "#206bc4cc" },
    ], true);
  }
  window.K2Events = { draw: draw };
})();
