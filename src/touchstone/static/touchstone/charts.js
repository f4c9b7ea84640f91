// Renders every [data-chart] element from the Vega-Lite spec in the JSON script it names.
// Expressions run through vega-interpreter, so the page needs no 'unsafe-eval'.
(function () {
  "use strict";
  function render() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source || typeof vegaEmbed !== "function") { return; }
      var spec = JSON.parse(source.textContent);
      vegaEmbed(el, spec, {
        actions: false, renderer: "svg", ast: true, defaultStyle: false,
        tooltip: { disableDefaultStyle: true },
        expr: window.vegaExpressionInterpreter
      }).then(function () { el.setAttribute("data-rendered", "true"); })
        .catch(function (err) { el.textContent = "The chart could not be drawn; the table below has the numbers."; console.error(err); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", render); } else { render(); }
})();
