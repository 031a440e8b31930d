// A page showing work in progress reloads itself every few seconds while its
// switch, input data-auto-refresh="<seconds>", is on. Turning it off lasts for
// the rest of the visit: someone who reads slowly, or uses a screen reader,
// isn't interrupted by a reload (WCAG 2.2.1). This replaces a
// <meta http-equiv="refresh">, which nobody can stop.
(function () {
  "use strict";
  var toggle = document.querySelector("input[data-auto-refresh]");
  if (!toggle) { return; }
  var key = "portico-auto-refresh-off";
  var seconds = Number(toggle.dataset.autoRefresh) || 3;
  var timer = null;
  var apply = function () {
    clearTimeout(timer);
    if (toggle.checked) {
      timer = setTimeout(function () { window.location.reload(); }, seconds * 1000);
    }
  };
  toggle.checked = sessionStorage.getItem(key) !== "1";
  toggle.addEventListener("change", function () {
    if (toggle.checked) { sessionStorage.removeItem(key); } else { sessionStorage.setItem(key, "1"); }
    apply();
  });
  toggle.closest("[hidden]").hidden = false;
  apply();
})();
