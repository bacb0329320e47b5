// The waiting-room screen asks for the last called numbers every few seconds (numbers only).
(function () {
  "use strict";
  var root = document.getElementById("display");
  if (!root || !window.fetch) { return; }
  var source = root.getAttribute("data-source");
  var period = (parseInt(root.getAttribute("data-refresh-seconds"), 10) || 5) * 1000;
  var deskWord = root.getAttribute("data-desk-word");
  var toWord = root.getAttribute("data-to-word");
  var list = root.querySelector(".display-calls");
  var empty = root.querySelector(".display-empty");
  var count = root.querySelector(".display-waiting-count");
  var lastKey = null;

  function render(data) {
    var key = JSON.stringify(data.calls);
    count.textContent = String(data.waiting);
    empty.hidden = data.calls.length > 0;
    if (key === lastKey) { return; }
    lastKey = key;
    while (list.firstChild) { list.removeChild(list.firstChild); }
    data.calls.forEach(function (call, index) {
      var item = document.createElement("li");
      if (index === 0) { item.className = "display-latest"; }
      // As the page draws it (lobby/display.html): the number read left to right in any
      // language, the arrow turned in a right-to-left one, the desk's label isolated.
      var ticket = document.createElement("bdi");
      ticket.className = "display-ticket";
      ticket.dir = "ltr";
      ticket.textContent = call.ticket;
      var arrow = document.createElement("span");
      arrow.className = "dir-arrow";
      arrow.setAttribute("aria-hidden", "true");
      arrow.textContent = "→";
      var desk = document.createElement("span");
      desk.className = "display-desk";
      var label = document.createElement("bdi");
      label.textContent = call.desk;
      desk.appendChild(document.createTextNode(deskWord + " "));
      desk.appendChild(label);
      item.appendChild(ticket);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(arrow);
      var said = document.createElement("span");
      said.className = "visually-hidden";
      said.textContent = toWord;
      item.appendChild(said);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(desk);
      list.appendChild(item);
    });
  }

  function refresh() {
    fetch(source, { credentials: "omit", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () { /* try again at the next tick */ });
  }

  lastKey = null;
  window.setInterval(refresh, period);
}());
