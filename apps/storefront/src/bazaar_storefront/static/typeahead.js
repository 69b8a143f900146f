// Type-ahead for every search box with data-suggest: product names from the search API as its
// <datalist>, fetched 200 ms after typing stops. Without JavaScript (or search) each box is a
// plain search form.
(function () {
  "use strict";
  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) { return; }
    var timer = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var url = input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(input.value);
        fetch(url, { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : { items: [] }; })
          .then(function (body) {
            list.textContent = "";
            body.items.forEach(function (item) {
              var option = document.createElement("option");
              option.value = item.name;
              list.appendChild(option);
            });
          })
          .catch(function () { list.textContent = ""; });
      }, 200);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), attach);
})();
