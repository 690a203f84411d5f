// "Copy" buttons beside read-only fields (data-copy = the field's id). Without JavaScript
// the buttons stay hidden and the field's text is selectable.
(function () {
  "use strict";
  function copy(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    var done = function () {
      var before = button.firstChild.nodeValue;
      button.firstChild.nodeValue = "Copied";
      button.classList.add("copied");
      setTimeout(function () {
        button.firstChild.nodeValue = before;
        button.classList.remove("copied");
      }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        field.focus();
        field.select();
      });
    } else {
      field.focus();
      field.select();
      if (document.execCommand && document.execCommand("copy")) { done(); }
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
