// Settings › Branding: a colour picker kept in step with the accent's text box, and a live
// preview of the top bar, a button and a link, with the accent's contrast against white.
// The server checks the same rule (content/colours.py) when the form is saved.
(function () {
  "use strict";
  var text = document.getElementById("id_accent_colour");
  var picker = document.getElementById("accent-picker");
  var name = document.getElementById("id_portal_name");
  var logo = document.getElementById("id_logo");
  var preview = document.querySelector("[data-branding-preview]");
  if (!text || !picker || !preview) {
    return;
  }
  var bar = preview.querySelector("[data-preview-bar]");
  var button = preview.querySelector("[data-preview-button]");
  var link = preview.querySelector("[data-preview-link]");
  var ratioText = preview.querySelector("[data-preview-ratio]");
  var previewName = preview.querySelector("[data-preview-name]");
  var previewLogo = preview.querySelector("[data-preview-logo]");
  var hex = /^#?([0-9a-f]{6})$/i;

  function luminance(colour) {
    var channels = [1, 3, 5].map(function (at) {
      var c = parseInt(colour.slice(at, at + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
  }

  function show(colour) {
    bar.style.backgroundColor = colour;
    button.style.setProperty("--bs-btn-bg", colour);
    button.style.setProperty("--bs-btn-border-color", colour);
    link.style.color = colour;
    var ratio = 1.05 / (luminance(colour) + 0.05);
    var shown = (Math.floor(ratio * 100) / 100).toFixed(2) + ":1";
    ratioText.textContent = ratio >= 4.5
      ? "White text on " + colour + ": " + shown + ", enough (WCAG AA needs 4.5:1)."
      : "White text on " + colour + ": " + shown + ", under the 4.5:1 WCAG AA needs: this colour will be refused.";
  }

  function fromText() {
    var match = hex.exec(text.value.trim());
    if (match) {
      var colour = "#" + match[1].toLowerCase();
      picker.value = colour;
      show(colour);
    }
  }

  picker.addEventListener("input", function () {
    text.value = picker.value;
    show(picker.value);
  });
  text.addEventListener("input", fromText);
  if (name) {
    name.addEventListener("input", function () {
      previewName.textContent = name.value.trim() || "\u00a0";
    });
    previewName.textContent = name.value.trim() || "\u00a0";
  }
  if (logo) {
    logo.addEventListener("change", function () {
      var file = logo.files && logo.files[0];
      if (!file) {
        return;
      }
      var reader = new FileReader();
      reader.addEventListener("load", function () {
        previewLogo.src = reader.result;
        previewLogo.hidden = false;
      });
      reader.readAsDataURL(file);
    });
  }
  document.querySelector("[data-branding-picker]").hidden = false;
  preview.hidden = false;
  fromText();
}());
