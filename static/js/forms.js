// Move the focus to the list of errors after a form comes back, so that it is read out first.
(function () {
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();
