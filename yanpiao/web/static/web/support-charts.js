// The support pages' charts (Chart.js), drawn from JSON script tags (the content security policy
// refuses inline scripts): the ratings' weekly trend per aspect (<script id="ratings-charts">)
// and a survey's answers per question (<script id="survey-charts">).  Tables beside the charts
// carry the same numbers.
(function () {
  "use strict";

  var COLOURS = ["#0b57d0", "#2e7d32", "#ef6c00", "#ad1457", "#6a1b9a", "#00838f", "#8d6e63"];

  function read(id) {
    var source = document.getElementById(id);
    return source ? JSON.parse(source.textContent) : null;
  }

  function draw(canvas, config) {
    canvas.dataset.drawn = "true";
    return new window.Chart(canvas, config);
  }

  function start() {
    if (!window.Chart) return;
    var base = { responsive: true, maintainAspectRatio: false };

    var ratings = read("ratings-charts");
    var trend = document.querySelector('[data-chart="trend"]');
    if (ratings && trend) {
      draw(trend, {
        type: "line",
        data: {
          labels: ratings.trend.labels,
          datasets: ratings.trend.datasets.map(function (d, i) {
            return { label: d.label, data: d.data, borderColor: COLOURS[i % COLOURS.length], spanGaps: true };
          })
        },
        options: Object.assign({}, base, { scales: { y: { min: 1, max: 5, ticks: { precision: 0 } } } })
      });
    }

    var survey = read("survey-charts") || [];
    survey.forEach(function (chart, i) {
      var canvas = document.querySelector('[data-chart="' + chart.key + '"]');
      if (!canvas) return;
      draw(canvas, {
        type: "bar",
        data: { labels: chart.labels, datasets: [{ label: chart.title, data: chart.data, backgroundColor: COLOURS[i % COLOURS.length] }] },
        options: Object.assign({}, base, {
          indexAxis: "y",
          plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }
        })
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
