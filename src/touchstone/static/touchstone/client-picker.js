// The booking form's client list, searched as one types: the server answers the matching
// <option> elements (at most 50, /calendar/clients/?q=), which replace the list's options.
// Without this script the "Find" button reloads the page with the same narrowed list.
(function () {
  "use strict";
  var input = document.getElementById("client-search");
  var select = document.getElementById("id_client");
  if (!input || !select || !window.fetch) { return; }
  var timer = null;
  var latest = 0;
  function refresh() {
    var ask = ++latest;
    var url = input.getAttribute("data-options-url") + "?q=" + encodeURIComponent(input.value) +
      "&client=" + encodeURIComponent(select.value);
    fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && ask === latest) { select.innerHTML = html; }
      })
      .catch(function () { /* the Find button still works */ });
  }
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 250);
  });
  input.form.addEventListener("submit", function (event) {
    event.preventDefault();
    refresh();
    select.focus();
  });
}());
