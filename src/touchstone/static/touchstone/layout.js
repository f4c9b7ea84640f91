/* Narrow screens (styles in touchstone.css, up to 64rem wide):
   - the main navigation folds behind its Menu button (without this script it stays open);
     on a phone (up to 48rem) the signed-in person's name, role and Sign out fold with it, so
     the header is one row (brand and Menu) above every page's content;
   - a table that scrolls inside its own box gets tabindex=0, so a keyboard can scroll it too
     (WCAG 2.1.1; axe-core's scrollable-region-focusable). */
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 64rem)");
  var button = document.querySelector(".menu-toggle");
  var nav = document.getElementById("main-nav");
  var who = document.getElementById("topbar-who");
  var phone = window.matchMedia("(max-width: 48rem)");

  function fold() {
    if (!button || !nav) return;
    button.classList.add("ready");
    var closed = button.getAttribute("aria-expanded") !== "true";
    nav.classList.toggle("collapsed", narrow.matches && closed);
    if (who) who.classList.toggle("collapsed", phone.matches && closed);
  }

  function scrollers() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        if (!table.hasAttribute("tabindex")) table.setAttribute("tabindex", "0");
      } else if (table.getAttribute("tabindex") === "0") {
        table.removeAttribute("tabindex");
      }
    });
  }

  if (button && nav) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", open ? "false" : "true");
      fold();
    });
  }
  narrow.addEventListener("change", function () { fold(); scrollers(); });
  phone.addEventListener("change", fold);
  window.addEventListener("resize", scrollers);
  fold();
  scrollers();
})();
