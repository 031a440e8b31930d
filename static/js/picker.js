// The console's picker: what is ticked survives paging and searching.
// The ticked values live in sessionStorage, per picker, while the
// administrator moves around it (links and the search carry keep=1);
// Select submits every one of them. Without this script each page's
// ticks are submitted on their own.
(function () {
  "use strict";
  var form = document.querySelector("form[data-picker]");
  if (!form) {
    return;
  }
  var storageKey = "portico-picker:" + form.getAttribute("data-picker");
  var summary = form.querySelector("[data-picker-summary]");
  var count = form.querySelector("[data-picker-count]");
  var boxes = Array.prototype.slice.call(form.querySelectorAll('input[name="pick"]'));
  var params = new URLSearchParams(window.location.search);
  var chosen = {};

  function load() {
    try {
      return JSON.parse(window.sessionStorage.getItem(storageKey) || "{}") || {};
    } catch (error) {
      return {};
    }
  }
  function save() {
    try {
      window.sessionStorage.setItem(storageKey, JSON.stringify(chosen));
    } catch (error) {
      // Storage refused (private mode, quota): this page's ticks still count.
    }
  }
  function forget() {
    try {
      window.sessionStorage.removeItem(storageKey);
    } catch (error) {
      // Nothing was kept.
    }
  }
  function show() {
    var n = Object.keys(chosen).length;
    summary.hidden = n === 0;
    count.textContent = n + " selected";
  }

  // Arriving afresh (from a tab or a bookmark) starts with nothing ticked.
  chosen = params.has("keep") ? load() : {};
  if (!params.has("keep")) {
    forget();
  }
  boxes.forEach(function (box) {
    if (Object.prototype.hasOwnProperty.call(chosen, box.value)) {
      box.checked = true;
    } else if (box.checked) {
      chosen[box.value] = true;
    }
    box.addEventListener("change", function () {
      if (box.checked) {
        chosen[box.value] = true;
      } else {
        delete chosen[box.value];
      }
      save();
      show();
    });
  });
  save();
  show();

  form.querySelectorAll("a.page-link").forEach(function (link) {
    var url = new URL(link.href, window.location.href);
    url.searchParams.set("keep", "1");
    link.href = url.toString();
  });
  form.querySelector("[data-picker-clear]").addEventListener("click", function () {
    chosen = {};
    boxes.forEach(function (box) {
      box.checked = false;
    });
    save();
    show();
  });
  form.querySelector("[data-picker-cancel]").addEventListener("click", forget);
  // Back after Select shows the page from the browser's cache, ticks and
  // all; load it afresh instead, so nothing is submitted twice.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      window.location.reload();
    }
  });
  form.addEventListener("submit", function () {
    var onPage = {};
    boxes.forEach(function (box) {
      onPage[box.value] = true;
    });
    Object.keys(chosen).forEach(function (value) {
      if (!onPage[value]) {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = "pick";
        hidden.value = value;
        form.appendChild(hidden);
      }
    });
    forget();
  });
}());
