// Renders every [data-chart] element from the Vega-Lite spec in the JSON script it names.
// Expressions run through vega-interpreter, so the page needs no 'unsafe-eval'.
(function () {
  "use strict";
  var DAY = /^\d{4}-\d{2}-\d{2}$/;

  // Fields some encoding plots on a time axis.
  function temporalFields(node, found) {
    if (Array.isArray(node)) { node.forEach(function (n) { temporalFields(n, found); }); }
    else if (node && typeof node === "object") {
      if (node.type === "temporal" && typeof node.field === "string") { found[node.field] = true; }
      Object.keys(node).forEach(function (k) { temporalFields(node[k], found); });
    }
    return found;
  }

  // The server sends calendar days ("2026-03-02") already in the clinic's time zone. Vega
  // parses a bare ISO date as UTC midnight, which a browser west of UTC draws as the day
  // before; parse those fields as local dates instead, so every browser shows the same day.
  function parseDaysAsLocal(node, fields) {
    if (Array.isArray(node)) { node.forEach(function (n) { parseDaysAsLocal(n, fields); }); return; }
    if (!node || typeof node !== "object") { return; }
    if (node.data && Array.isArray(node.data.values) && node.data.values.length) {
      var row = node.data.values[0];
      Object.keys(fields).forEach(function (f) {
        if (row && typeof row[f] === "string" && DAY.test(row[f])) {
          node.data.format = node.data.format || {};
          node.data.format.parse = node.data.format.parse || {};
          node.data.format.parse[f] = node.data.format.parse[f] || "date:'%Y-%m-%d'";
        }
      });
    }
    Object.keys(node).forEach(function (k) { if (k !== "data") { parseDaysAsLocal(node[k], fields); } });
  }

  function render() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source || typeof vegaEmbed !== "function") { return; }
      var spec = JSON.parse(source.textContent);
      parseDaysAsLocal(spec, temporalFields(spec, {}));
      vegaEmbed(el, spec, {
        actions: false, renderer: "svg", ast: true, defaultStyle: false,
        tooltip: { disableDefaultStyle: true },
        expr: window.vegaExpressionInterpreter
      }).then(function () { el.setAttribute("data-rendered", "true"); })
        .catch(function (err) {
          // The page's own words when it has them (a client's page in their language).
          el.textContent = el.getAttribute("data-chart-error") ||
            "The chart could not be drawn; the table below has the numbers.";
          console.error(err);
        });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", render); } else { render(); }
})();
