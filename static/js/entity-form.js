// Propose an entity's ID from its name while the ID is untouched; the server
// proposes the same one (portal.names.propose_id) when it is left blank.
(function () {
  "use strict";
  var nameInput = document.querySelector("[data-entity-name]");
  var idInput = document.querySelector("[data-entity-id]");
  if (!nameInput || !idInput) {
    return;
  }
  var maxLength = parseInt(idInput.getAttribute("maxlength") || "256", 10);
  // A page's address (data-entity-id="slug") has no dots or underscores
  // (content.forms.propose_slug); an entity's ID may.
  var unwanted = idInput.getAttribute("data-entity-id") === "slug" ? /[^a-z0-9]+/g : /[^a-z0-9._]+/g;

  function propose(name) {
    var ascii = name.normalize("NFKD").replace(/[^\x00-\x7f]/g, "");
    var slug = ascii.toLowerCase().replace(unwanted, "-").replace(/^[-.]+|[-.]+$/g, "");
    return slug.slice(0, maxLength).replace(/[-.]+$/, "");
  }

  var touched = idInput.value !== "" && idInput.value !== propose(nameInput.value);
  idInput.addEventListener("input", function () {
    touched = idInput.value !== "";
  });
  function update() {
    if (!touched) {
      idInput.value = propose(nameInput.value);
    }
  }
  nameInput.addEventListener("input", update);
  // A name typed before this script loaded still gets its ID.
  update();
}());
