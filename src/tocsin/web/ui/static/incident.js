// The incident page: the assignee list follows the chosen team (without this script every
// assignee is listed, and the service refuses one outside the team with a sentence).
"use strict";
(function () {
  function filterAssignees() {
    var team = document.getElementById("assign-team");
    var people = document.getElementById("assign-assignee");
    if (!team || !people) { return; }
    var slug = team.value;
    Array.prototype.forEach.call(people.options, function (option) {
      if (!option.value) { return; }
      var teams = (option.getAttribute("data-teams") || "").split(" ");
      var fits = !slug || teams.indexOf(slug) !== -1;
      option.hidden = !fits;
      option.disabled = !fits;
      if (!fits && option.selected) { people.value = ""; }
    });
  }
  // Event delegation: the actions region is swapped in place by live updates.
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "assign-team") { filterAssignees(); }
  });
  document.addEventListener("DOMContentLoaded", filterAssignees);
  // Opening an action's form moves the focus into it, for keyboard users.
  window.addEventListener("hashchange", function () {
    if (location.hash.indexOf("#act-") !== 0) { return; }
    var panel = document.getElementById(location.hash.slice(1));
    var field = panel && panel.querySelector("select, textarea, input:not([type=hidden])");
    if (field) { field.focus(); }
  });
})();
