// The kiosk goes back to its start page after a short quiet time, so that the next person never
// sees what the previous one did. Without JavaScript, the "Done" link does the same.
(function () {
  "use strict";
  var done = document.querySelector("[data-kiosk-home]");
  var home = done ? done.getAttribute("data-kiosk-home") : window.location.pathname;
  var seconds = done ? parseInt(done.getAttribute("data-idle-seconds"), 10) : 45;
  var timer = null;

  function goHome() {
    // Also on the start page: what someone left typed goes, and the form gets a fresh token.
    window.location.replace(home);
  }

  function restart() {
    window.clearTimeout(timer);
    timer = window.setTimeout(goHome, (seconds || 45) * 1000);
  }

  // A language chosen after typing keeps what was typed: the language links lead to this same
  // page, and what was typed waits in this tab's storage (never in the address) until it is back.
  var KEPT = "kiosk-typed";
  try {
    var kept = window.sessionStorage.getItem(KEPT);
    window.sessionStorage.removeItem(KEPT);
    if (kept) {
      var values = JSON.parse(kept);
      Object.keys(values).forEach(function (id) {
        var field = document.getElementById(id);
        if (field && !field.value) { field.value = values[id]; }
      });
    }
  } catch (error) { /* storage refused (private mode): nothing kept, nothing lost but the typing */ }
  document.querySelectorAll(".lang-switch a").forEach(function (link) {
    link.addEventListener("click", function () {
      var values = {};
      document.querySelectorAll("main input[type=text]").forEach(function (field) {
        if (field.id && field.value) { values[field.id] = field.value; }
      });
      try {
        if (Object.keys(values).length) { window.sessionStorage.setItem(KEPT, JSON.stringify(values)); }
      } catch (error) { /* as above */ }
    });
  });

  ["pointerdown", "keydown", "input", "touchstart"].forEach(function (name) {
    document.addEventListener(name, restart, { passive: true });
  });
  restart();
}());
