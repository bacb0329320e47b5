// Move the focus to the list of errors after a form comes back, so that it is read out first.
(function () {
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();

// A character count under a text limited in length (the centre's short presentation): updated as
// one types; the server checks the limit anyway.
(function () {
  var counters = document.querySelectorAll("[data-counter-for]");
  Array.prototype.forEach.call(counters, function (counter) {
    var field = document.getElementById(counter.getAttribute("data-counter-for"));
    var max = parseInt(counter.getAttribute("data-counter-max"), 10);
    var text = counter.getAttribute("data-counter-text");
    if (!field || !text) { return; }
    var update = function () {
      var count = field.value.replace(/\r\n/g, "\n").trim().length;
      counter.textContent = text.replace("{count}", count);
      counter.classList.toggle("counter-over", count > max);
    };
    field.addEventListener("input", update);
    update();
  });
})();
