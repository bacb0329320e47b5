// The desk's day refreshes itself every 20 seconds, without losing what a facilitator is typing:
// a part (agenda, queue, call-backs) is replaced only when none of its fields has the focus or unsent input.
(function () {
  "use strict";
  var container = document.getElementById("desk-day");
  if (!container || !window.fetch || !window.DOMParser) { return; }
  var url = container.getAttribute("data-fragment-url");
  var PERIOD = 20000;

  function dirty(field) {
    if (field.type === "hidden" || field.type === "submit" || field.type === "button") { return false; }
    if (field.type === "checkbox" || field.type === "radio") { return field.checked !== field.defaultChecked; }
    if (field.tagName === "SELECT") {
      if (!field.multiple) {
        // Without a `selected` attribute, a single select starts on its first option.
        var initial = 0;
        for (var j = 0; j < field.options.length; j++) {
          if (field.options[j].defaultSelected) { initial = j; break; }
        }
        return field.selectedIndex !== initial;
      }
      for (var i = 0; i < field.options.length; i++) {
        if (field.options[i].selected !== field.options[i].defaultSelected) { return true; }
      }
      return false;
    }
    return field.value !== field.defaultValue;
  }

  function busy(region) {
    if (region.contains(document.activeElement) && document.activeElement !== region) { return true; }
    var fields = region.querySelectorAll("input, select, textarea");
    for (var i = 0; i < fields.length; i++) { if (dirty(fields[i])) { return true; } }
    return false;
  }

  function refresh() {
    if (document.hidden) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) { throw new Error("not refreshed"); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var regions = container.querySelectorAll("[data-refresh-region]");
        for (var i = 0; i < regions.length; i++) {
          var replacement = fresh.getElementById(regions[i].id);
          if (replacement && !busy(regions[i]) && replacement.innerHTML !== regions[i].innerHTML) {
            regions[i].innerHTML = replacement.innerHTML;
          }
        }
      })
      .catch(function () { /* the Refresh link still works */ });
  }

  window.setInterval(refresh, PERIOD);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
}());
