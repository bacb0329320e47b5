// The help-session form shows only what applies: the other duration, the Aidants Connect mandate,
// the workshop's block, the administrative procedure, the other commune's postal code. Without
// JavaScript all is shown. Ticking a topic ticks its usual national themes (data-themes), and
// never unticks one: what the facilitator chose stays chosen.
(function () {
  var form = document.getElementById("session-form");
  if (!form) { return; }

  function checked(name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  }

  function show(selector, visible) {
    var block = form.querySelector(selector);
    if (!block) { return; }
    // A block holding an error or a value stays visible: nothing typed is hidden.
    var filled = block.querySelector(".error") ||
      Array.prototype.some.call(block.querySelectorAll("input[type=number], input[type=text], select"),
        function (input) { return input.value && input.value !== "0" && input.type !== "number"; });
    block.hidden = !(visible || filled);
  }

  function tickThemes(topic) {
    if (!topic.checked) { return; }
    (topic.getAttribute("data-themes") || "").split(" ").forEach(function (code) {
      if (!code) { return; }
      var theme = form.querySelector('input[name="themes"][value="' + code + '"]');
      if (theme) { theme.checked = true; }
    });
  }

  function update() {
    show(".duration-other", checked("duration") === "other");
    show(".aidants-connect", checked("assistance") === "for");
    show(".workshop-block", checked("kind") === "workshop");
    var admin = form.querySelector('input[name="topics"][data-admin]:checked') ||
      form.querySelector('input[name="themes"][data-admin-theme]:checked');
    var domain = form.querySelector('select[name="admin_domain"]');
    show(".admin-block", Boolean(admin) || Boolean(domain && domain.value));
    var commune = form.querySelector('select[name="commune"]');
    show(".other-commune", Boolean(commune) && commune.value === "other");
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "topics") { tickThemes(event.target); }
    update();
  });
  update();
})();
