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

  ["pointerdown", "keydown", "input", "touchstart"].forEach(function (name) {
    document.addEventListener(name, restart, { passive: true });
  });
  restart();
}());
