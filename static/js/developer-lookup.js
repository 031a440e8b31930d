// Suggest developers' addresses as one is typed: a few matches from the server,
// never every account. Without this script the address is simply typed.
(function () {
  "use strict";
  var options = document.getElementById("developer-options");
  var input = document.querySelector("input[list='developer-options']");
  if (!options || !input || !window.fetch) {
    return;
  }
  var url = options.getAttribute("data-lookup");
  var timer = null;
  var asked = "";

  function show(developers) {
    options.replaceChildren();
    developers.forEach(function (developer) {
      var option = document.createElement("option");
      option.value = developer.email;
      if (developer.label) {
        option.label = developer.label;
      }
      options.appendChild(option);
    });
  }

  function lookUp() {
    var query = input.value.trim();
    if (query === asked) {
      return;
    }
    asked = query;
    if (query.length < 2) {
      show([]);
      return;
    }
    fetch(url + "?q=" + encodeURIComponent(query), {
      credentials: "same-origin",
      headers: {"Accept": "application/json"}
    })
      .then(function (response) { return response.ok ? response.json() : {developers: []}; })
      .then(function (data) {
        if (query === asked) {
          show(data.developers || []);
        }
      })
      .catch(function () { show([]); });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, 200);
  });
  // Whatever was typed while this script was still loading is looked up too.
  if (input.value.trim()) {
    lookUp();
  }
}());
