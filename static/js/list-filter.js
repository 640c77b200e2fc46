// A search box over a long list of checkboxes (the partner ISCMs of the input form).
//
// The box is in the page from the start, hidden: without this script the list is the
// plain list of checkboxes, all of it usable. The script moves the box under the
// list's legend, shows it, and while someone types shows only the entries whose label
// holds every word typed, in any case and with or without accents or Arabic vowel
// marks. Entries hidden by the filter stay ticked and are sent with the form; the box
// itself has no name, so it is never sent. A live region says how many are shown.
//
// Markup (templates/submissions/_iscm_filter.html):
//   <div data-list-filter="FIELD NAME" data-count-message="… %(shown)s … %(total)s …" hidden>
//     <label for="X">…</label> <input id="X" type="search"> <p data-list-filter-count aria-live="polite">
(function () {
  "use strict";

  var ANNOUNCE_AFTER_MS = 400; // one announcement after a burst of typing, not one per key
  var MARKS = /[\p{M}\u0640]/gu; // combining marks (accents, Arabic vowels), tatweel

  // "Réunion" and "reunion", "أمن" and "امن", "Ёлка" and "елка" compare equal: NFD puts
  // accents, hamza and madda in combining marks of their own, which are then dropped.
  function folded(text) {
    return text.normalize("NFD").replace(MARKS, "").toLowerCase().replace(/\s+/g, " ").trim();
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  function setUp(box) {
    var form = box.closest("form");
    var inputs = form ? form.querySelectorAll('input[type="checkbox"]') : [];
    var entries = [];
    inputs.forEach(function (input) {
      if (input.name !== box.dataset.listFilter) {
        return;
      }
      var row = input.closest(".form-check") || input.parentElement;
      var label = input.labels && input.labels[0] ? input.labels[0].textContent : input.value;
      entries.push({ row: row, text: folded(label) });
    });
    if (!entries.length) {
      return;
    }
    var search = box.querySelector("input");
    var count = box.querySelector("[data-list-filter-count]");
    var group = entries[0].row.closest("fieldset");
    var legend = group && group.querySelector("legend");
    if (legend) {
      legend.after(box); // inside the group, so its name is read on entering the box
    }

    var timer = null;
    function announce(shown) {
      count.textContent = fill(box.dataset.countMessage, {
        shown: String(shown),
        total: String(entries.length),
      });
    }

    function apply() {
      var words = folded(search.value).split(" ").filter(Boolean);
      var shown = 0;
      entries.forEach(function (entry) {
        var match = words.every(function (word) {
          return entry.text.indexOf(word) !== -1;
        });
        entry.row.hidden = !match;
        shown += match ? 1 : 0;
      });
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        announce(shown);
      }, ANNOUNCE_AFTER_MS);
    }

    search.addEventListener("input", apply);
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); // Enter filters; it does not send the form half filled in
      }
    });
    announce(entries.length);
    box.hidden = false;
    if (search.value) {
      apply(); // a value the browser restored on going back
    }
  }

  document.querySelectorAll("[data-list-filter]").forEach(setUp);
})();
