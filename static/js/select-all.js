// A checkbox with data-select-all="<name>" ticks or clears every checkbox of that
// name in its form, and shows "some" when only a few are ticked.
(function () {
  "use strict";
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var form = all.form;
    var boxes = function () {
      return Array.prototype.slice.call(
        form.querySelectorAll('input[type="checkbox"][name="' + all.dataset.selectAll + '"]')
      );
    };
    var reflect = function () {
      var ticked = boxes().filter(function (box) { return box.checked; }).length;
      all.checked = ticked > 0 && ticked === boxes().length;
      all.indeterminate = ticked > 0 && ticked < boxes().length;
    };
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
    });
    form.addEventListener("change", function (event) {
      if (event.target !== all) { reflect(); }
    });
    reflect();
  });
})();
