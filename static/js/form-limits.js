// Size limits checked in the browser before a form is sent, so that a form the server
// could not read is never sent and what was typed stays on the page
// (iscm_portal/middleware.py answers such a request when this script does not run).
//
// - A form with data-max-characters (the edit page): the texts together may hold at
//   that many characters, each at most data-field-max-characters. Over either, the
//   submit is stopped and the message element (data-size-problem, its texts rendered
//   by the server in the page's language) names the fields to shorten. Counts follow
//   the server's rules: submissions/validators.py::count_characters for the total (code
//   points, a line break one), validators.limit_text_size per field (the browser sends a
//   line break as two characters).
// - A file input with data-name-limit: a longer file name is shortened, keeping its
//   extension, before the file is sent (Django cannot read a part whose name is over
//   about 1 KB); data-renamed-message says so beside the field.
(function () {
  "use strict";

  var SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;
  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function codePoints(text) {
    var pairs = text.match(SURROGATE_PAIR);
    return text.length - (pairs ? pairs.length : 0);
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  // An objective's text areas carry the objective in their labels (for screen
  // readers, submissions/forms.py), so a label alone names any text area.
  function fieldName(area) {
    return area.labels && area.labels[0] ? area.labels[0].textContent.trim() : area.name;
  }

  function checkTexts(form) {
    var problem = document.querySelector("[data-size-problem]");
    if (!problem) {
      return;
    }
    var maxTotal = Number(form.dataset.maxCharacters);
    var maxField = Number(form.dataset.fieldMaxCharacters);

    function showProblem(intro, fields) {
      problem.textContent = "";
      var lead = document.createElement("p");
      lead.className = "mb-1 fw-semibold";
      lead.textContent = intro;
      problem.appendChild(lead);
      var list = document.createElement("ul");
      list.className = "mb-0";
      fields.forEach(function (field) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.className = "alert-link";
        link.href = "#" + field.area.id;
        link.textContent = fill(problem.dataset.fieldMessage, {
          field: fieldName(field.area),
          count: numbers.format(field.count),
        });
        link.addEventListener("click", function (event) {
          event.preventDefault();
          var hidden = field.area.closest("[hidden]");
          if (hidden) {
            hidden.hidden = false;
          }
          field.area.focus();
        });
        item.appendChild(link);
        list.appendChild(item);
      });
      problem.appendChild(list);
      problem.hidden = false;
      problem.focus();
    }

    form.addEventListener("submit", function (event) {
      var areas = Array.prototype.slice.call(form.querySelectorAll("textarea"));
      var sizes = areas.map(function (area) {
        var count = codePoints(area.value);
        var newlines = (area.value.match(/\n/g) || []).length;
        return { area: area, count: count, sent: count + newlines };
      });
      var tooLong = sizes.filter(function (size) {
        return size.sent > maxField;
      });
      var total = sizes.reduce(function (sum, size) {
        return sum + size.count;
      }, 0);
      if (total > maxTotal) {
        // The longest texts first, as many as it takes to come under the limit.
        var longest = sizes.slice().sort(function (a, b) {
          return b.count - a.count;
        });
        var named = [];
        var excess = total - maxTotal;
        for (var i = 0; i < longest.length && excess > 0; i += 1) {
          named.push(longest[i]);
          excess -= longest[i].count;
        }
        event.preventDefault();
        showProblem(
          fill(problem.dataset.totalMessage, {
            count: numbers.format(total),
            limit: numbers.format(maxTotal),
          }),
          named
        );
      } else if (tooLong.length) {
        event.preventDefault();
        showProblem(
          fill(problem.dataset.fieldTooLongMessage, { limit: numbers.format(maxField) }),
          tooLong.map(function (size) {
            return { area: size.area, count: size.sent };
          })
        );
      } else {
        problem.hidden = true;
      }
    });
  }

  function shortenedName(name, limit) {
    var characters = Array.from(name);
    if (characters.length <= limit) {
      return name;
    }
    // The extension as submissions/uploads.py::safe_display_name reads it: 1 to 8 ASCII
    // letters and digits, not all digits, after the last dot.
    var dot = name.lastIndexOf(".");
    var suffix = dot > 0 ? name.slice(dot + 1) : "";
    var ending = /^[A-Za-z0-9]{1,8}$/.test(suffix) && !/^[0-9]+$/.test(suffix) ? "." + suffix : "";
    var stem = Array.from(ending ? name.slice(0, dot) : name);
    return stem.slice(0, limit - ending.length).join("") + ending;
  }

  function shortenFileNames(input) {
    var limit = Number(input.dataset.nameLimit);
    var note = document.createElement("p");
    note.className = "form-text";
    note.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", note);
    input.addEventListener("change", function () {
      note.textContent = "";
      var file = input.files && input.files[0];
      if (!file) {
        return;
      }
      var name = shortenedName(file.name, limit);
      if (name === file.name) {
        return;
      }
      var renamed = new DataTransfer();
      renamed.items.add(new File([file], name, { type: file.type, lastModified: file.lastModified }));
      input.files = renamed.files;
      note.textContent = fill(input.dataset.renamedMessage || "", { name: name });
    });
  }

  document.querySelectorAll("form[data-max-characters]").forEach(checkTexts);
  document.querySelectorAll("input[type=file][data-name-limit]").forEach(shortenFileNames);
})();
