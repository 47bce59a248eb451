// The page's words for its scripts (app.js, library.js): the page hands them over in the
// reader's language, as data (service/web/script_words.py); a string it does not list is
// shown in its English source. Loaded before the page's own script.
"use strict";

window.briefingWords = (function () {
  const WORDS = readWords();
  function readWords() {
    try {
      const node = document.getElementById("script-words");
      return node ? JSON.parse(node.textContent || "{}") : {};
    } catch (_) {
      return {};
    }
  }
  function t(text, values) {
    const said = Object.prototype.hasOwnProperty.call(WORDS, text) ? WORDS[text] : text;
    return said.replace(/%\((\w+)\)s/g, (whole, name) =>
      values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole);
  }
  // Counts as the server writes them (Babel): the reader's separators, Latin digits.
  const numbers = new Intl.NumberFormat(document.documentElement.lang || undefined,
    { numberingSystem: "latn" });
  const percents = new Intl.NumberFormat(document.documentElement.lang || undefined,
    { style: "percent", numberingSystem: "latn" });
  return { t, numbers, percents };
})();
