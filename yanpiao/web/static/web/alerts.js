// The auditor dashboard's charts (Chart.js), drawn from the JSON in <script id="alert-charts">
// (the content security policy refuses inline scripts).  Each bar is a link: clicking it opens
// the page its ``urls`` name — the history of that day and outcome, the alerts of that kind, the
// seller's checks.  The tables beside the charts carry the same numbers and links.
(function () {
  "use strict";

  // The outcomes' colours, matching the result banners: good, bad, warning.
  var OUTCOME_COLOURS = {
    authentic: "#2e7d32", tampered: "#ad1457", mismatch: "#c62828", not_found: "#6a1b9a",
    voided: "#ef6c00", red_flushed: "#f9a825", abnormal: "#8d6e63", invalid: "#757575"
  };
  var KIND_COLOUR = "#b71c1c";
  var SELLER_COLOUR = "#0b57d0";

  function drillDown(urls) {
    return function (event, elements, chart) {
      if (!elements.length) return;
      var element = elements[0];
      var list = Array.isArray(urls[0]) ? urls[element.datasetIndex] : urls;
      var url = list && list[element.index];
      if (url) window.location.assign(url);
    };
  }

  function pointer(event, elements) {
    event.native.target.style.cursor = elements.length ? "pointer" : "default";
  }

  function draw(canvas, config) {
    canvas.dataset.drawn = "true";
    return new window.Chart(canvas, config);
  }

  function start() {
    var source = document.getElementById("alert-charts");
    if (!source || !window.Chart) return;
    var charts = JSON.parse(source.textContent);
    var base = { responsive: true, maintainAspectRatio: false, onHover: pointer };

    var perDay = document.querySelector('[data-chart="perDay"]');
    if (perDay) {
      draw(perDay, {
        type: "bar",
        data: {
          labels: charts.perDay.labels,
          datasets: charts.perDay.datasets.map(function (d) {
            return { label: d.label, data: d.data, backgroundColor: OUTCOME_COLOURS[d.key] || "#555" };
          })
        },
        options: Object.assign({}, base, {
          onClick: drillDown(charts.perDay.datasets.map(function (d) { return d.urls; })),
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
        })
      });
    }

    var byKind = document.querySelector('[data-chart="byKind"]');
    if (byKind) {
      draw(byKind, {
        type: "bar",
        data: { labels: charts.byKind.labels, datasets: [{ data: charts.byKind.data, backgroundColor: KIND_COLOUR }] },
        options: Object.assign({}, base, {
          indexAxis: "y",
          onClick: drillDown(charts.byKind.urls),
          plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }
        })
      });
    }

    var sellers = document.querySelector('[data-chart="sellers"]');
    if (sellers) {
      draw(sellers, {
        type: "bar",
        data: { labels: charts.sellers.labels, datasets: [{ data: charts.sellers.data, backgroundColor: SELLER_COLOUR }] },
        options: Object.assign({}, base, {
          indexAxis: "y",
          onClick: drillDown(charts.sellers.urls),
          plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true, max: 100 } }
        })
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
