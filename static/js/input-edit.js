// The written-input edit page: live word counters and objectives that open when
// chosen. The page works without this script: every field is shown and the word
// limits are checked on the server before submission.
(function () {
  "use strict";

  var form = document.getElementById("content-form");
  if (!form) {
    return;
  }
  var label = form.dataset.wordCountLabel || "%(count)s of %(limit)s words";

  var countWords = window.iscmCountWords; // static/js/word-count.js

  function addCounter(after, textareas, limit) {
    var output = document.createElement("p");
    output.className = "word-count small mb-3";
    output.setAttribute("aria-live", "polite");
    after.insertAdjacentElement("afterend", output);
    function update() {
      var count = textareas.reduce(function (sum, area) {
        return sum + countWords(area.value);
      }, 0);
      output.textContent = label.replace("%(count)s", count).replace("%(limit)s", limit);
      output.classList.toggle("text-danger", count > limit);
      output.classList.toggle("fw-semibold", count > limit);
      output.classList.toggle("text-body-secondary", count <= limit);
    }
    textareas.forEach(function (area) {
      area.addEventListener("input", update);
    });
    update();
  }

  form.querySelectorAll("textarea[data-word-limit]").forEach(function (area) {
    addCounter(area, [area], Number(area.dataset.wordLimit));
  });

  form.querySelectorAll("[data-objective]").forEach(function (objective) {
    var box = objective.querySelector("input[type=checkbox]");
    var fields = objective.querySelector("[data-objective-fields]");
    var areas = Array.prototype.slice.call(fields.querySelectorAll("textarea"));
    function sync() {
      // An objective with text stays open even when unticked: text is never hidden.
      var hasText = areas.some(function (area) {
        return area.value.trim() !== "";
      });
      fields.hidden = !(box.checked || hasText);
    }
    box.addEventListener("change", sync);
    sync();
    if (objective.dataset.wordLimit) {
      addCounter(fields.lastElementChild, areas, Number(objective.dataset.wordLimit));
    }
  });
})();
