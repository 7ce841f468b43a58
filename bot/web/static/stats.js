// 统计: draws the 12-month trend charts from the JSON in each [data-chart] element's
// data-trend attribute (the CSP allows no inline script). SVG, so numbers stay text.
(function () {
  "use strict";
  function percent(value) {
    return value === null ? null : Math.round(value * 1000) / 10;
  }
  function options(kind, rows) {
    var months = rows.map(function (r) { return r.month; });
    var base = {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: months }
    };
    if (kind === "counts") {
      base.yAxis = { type: "value", minInterval: 1 };
      base.series = [
        { name: "收到", type: "bar", data: rows.map(function (r) { return r.received; }),
          label: { show: true, position: "top" } },
        { name: "完成", type: "bar", data: rows.map(function (r) { return r.completed; }),
          label: { show: true, position: "top" } },
        { name: "按时完成", type: "bar", data: rows.map(function (r) { return r.on_time; }),
          label: { show: true, position: "top" } }
      ];
    } else {
      base.yAxis = { type: "value", axisLabel: { formatter: "{value}%" } };
      base.series = [
        { name: "完成率", type: "line", connectNulls: false,
          data: rows.map(function (r) { return percent(r.completion_rate); }),
          label: { show: true, formatter: "{c}%" } },
        { name: "按时率", type: "line", connectNulls: false,
          data: rows.map(function (r) { return percent(r.on_time_rate); }),
          label: { show: true, formatter: "{c}%" } }
      ];
    }
    return base;
  }
  function draw() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var rows = JSON.parse(el.getAttribute("data-trend"));
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(options(el.getAttribute("data-chart"), rows));
      el.setAttribute("data-rendered", "true");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
