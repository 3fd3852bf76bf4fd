// The header's language menu applies the choice at once. This lives in a file, not in an
// onchange attribute, because the Content Security Policy refuses inline handlers.
(function () {
  "use strict";
  var select = document.getElementById("language-switch");
  if (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  }
})();
