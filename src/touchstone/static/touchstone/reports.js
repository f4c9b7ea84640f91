// Reports: a download link says "Preparing…" until the file arrives (documents take up to
// about a second; see docs/benchmarks.md "Reports and exports").
(function () {
  "use strict";
  document.querySelectorAll("a[data-preparing], button[data-preparing-button]").forEach(function (link) {
    link.addEventListener("click", function () {
      var status = document.querySelector(".preparing");
      if (!status) { return; }
      status.textContent = "Preparing…";
      window.setTimeout(function () { status.textContent = ""; }, 4000);
    });
  });
})();
