// Word count for word limits: the same rule as submissions.markup.count_words, which
// checks the limits on the server (tests/submissions/test_word_count_parity.py runs
// this file under Node against the Python function on the same samples).
//   1. drop ordered-list markers at the start of a line ("1." or "2)");
//   2. split into tokens: each kana or Han ideograph alone, or a run of other
//      non-space characters;
//   3. count the tokens holding a letter or a digit (lone "-", "*", "#" are not words).
(function (root) {
  "use strict";
  var CJK = "\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\u{20000}-\\u{3134f}";
  var ORDERED_LIST_MARKER = /^[ \t]*\p{Nd}+[.)](?=\s|$)/gmu;
  var TOKEN = new RegExp("[" + CJK + "]|[^\\s" + CJK + "]+", "gu");
  var LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

  function countWords(text) {
    var tokens = text.replace(ORDERED_LIST_MARKER, "").match(TOKEN) || [];
    return tokens.filter(function (token) {
      return LETTER_OR_DIGIT.test(token);
    }).length;
  }

  if (typeof module !== "undefined" && module.exports) {
    module.exports = countWords;
  } else {
    root.iscmCountWords = countWords;
  }
})(this);
