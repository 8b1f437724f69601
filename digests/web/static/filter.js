// Filters the evidence map's table in the browser, for the static export (no server to ask).
// The live app filters on the server with the same form, and works without this script.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.study"));
  var count = document.getElementById("count");

  function value(id) { return document.getElementById(id).value.trim(); }

  function apply(event) {
    if (event) { event.preventDefault(); }
    var design = value("f-design"), level = value("f-level"), question = value("f-question");
    var followup = Number(value("f-followup") || 0), year = Number(value("f-year") || 0);
    var words = value("f-text").toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var d = row.dataset, text = row.textContent.toLowerCase();
      var keep = (!design || d.design === design) && (!level || d.level === level) &&
        (!question || d.questions.split(" ").indexOf(question) >= 0) &&
        Number(d.followup) >= followup && (!year || Number(d.year) >= year) &&
        words.every(function (w) { return text.indexOf(w) >= 0; });
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " records match.";
  }

  form.addEventListener("submit", apply);
  form.addEventListener("change", apply);
  document.getElementById("clear").addEventListener("click", function (event) {
    event.preventDefault();
    form.reset();
    apply();
  });
})();
