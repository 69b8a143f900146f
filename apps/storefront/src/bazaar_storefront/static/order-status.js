// Progressive enhancement for the order page: fetch the status panel every second until the
// order settles (confirmed or cancelled). Without JavaScript, a <noscript> refresh does the same.
(function () {
  "use strict";
  var box = document.querySelector("[data-poll]");
  if (!box) { return; }
  var url = box.getAttribute("data-poll");
  var tries = 0;
  function poll() {
    tries += 1;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        var final = response.headers.get("Bazaar-Order-Final") === "true";
        return response.text().then(function (html) {
          if (response.ok) { box.innerHTML = html; }
          if (!final && tries < 300) { window.setTimeout(poll, 1000); }
        });
      })
      .catch(function () { if (tries < 300) { window.setTimeout(poll, 2000); } });
  }
  window.setTimeout(poll, 500);
})();
