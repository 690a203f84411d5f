// "Copy" buttons beside read-only fields (data-copy = the field's id). Without JavaScript
// the buttons stay hidden and the field's text is selectable.
(function () {
  "use strict";
  function confirm(button, text) {
    var label = button.firstChild;
    var before = label.nodeValue;
    label.nodeValue = text;
    button.classList.toggle("copied", text === "Copied");
    setTimeout(function () {
      label.nodeValue = before;
      button.classList.remove("copied");
    }, 2000);
  }
  // The older way, for browsers that refuse the clipboard API (no permission, plain http):
  // select the text and copy the selection; if even that fails the text stays selected.
  function copySelection(button, field) {
    field.focus();
    field.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (ignored) {
      copied = false;
    }
    confirm(button, copied ? "Copied" : "Selected: press Ctrl+C");
  }
  function copy(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { confirm(button, "Copied"); },
        function () { copySelection(button, field); }
      );
    } else {
      copySelection(button, field);
    }
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { copy(button); });
  });
  document.querySelectorAll(".copy-field input[readonly]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
})();
