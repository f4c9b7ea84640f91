/* Body map: each region of the SVG cycles its tension level 0 -> 1 -> 2 -> 3 -> 0 on click,
   Enter or Space. The <select> per region stays the source of truth (the form works without
   JavaScript); this script only writes to it and redraws. No framework, no CDN.
   The list of selects folds away once the map works, except on a phone (up to 40rem), where
   the map's regions are 11-24 px wide: there the list stays open as the easier way in. */
(function () {
  "use strict";
  var NAMES = ["none", "mild", "moderate", "severe"];
  var phone = window.matchMedia("(max-width: 40rem)");

  function selectFor(code) {
    return document.getElementById("id_region_" + code);
  }

  function draw(g, level) {
    for (var i = 0; i < 4; i++) { g.classList.remove("lvl-" + i); }
    g.classList.add("lvl-" + level);
    g.setAttribute("aria-label", g.dataset.label + ": level " + level + " of 3 (" + NAMES[level] + ")");
    var text = g.querySelector("text");
    if (text) { text.textContent = level ? String(level) : ""; }
  }

  function enhance(svg) {
    var regions = svg.querySelectorAll("[data-region]");
    Array.prototype.forEach.call(regions, function (g) {
      var select = selectFor(g.dataset.region);
      if (!select) { return; }
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      g.setAttribute("aria-describedby", "bodymap-help");
      draw(g, parseInt(select.value || "0", 10));
      function cycle() {
        var level = (parseInt(select.value || "0", 10) + 1) % 4;
        select.value = String(level);
        draw(g, level);
      }
      g.addEventListener("click", cycle);
      g.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " " || event.key === "Spacebar") {
          event.preventDefault();
          cycle();
        }
      });
      select.addEventListener("change", function () {
        draw(g, parseInt(select.value || "0", 10));
      });
    });
    var list = svg.parentNode.querySelector("details.bodymap-list");
    if (list && !phone.matches) { list.removeAttribute("open"); }
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("svg[data-bodymap]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
