// "Listen": reads the page's main content aloud with the browser's own speech synthesis, for
// residents who read with difficulty. Progressive enhancement: the controls stay hidden without
// JavaScript, without speech synthesis, or without a voice for the page's language (a French voice
// reading Arabic would help nobody). Parts marked in another language (a topic's French name on an
// Arabic page) are read in theirs when a voice for it exists. What the page shows differently from
// how it is said carries `data-speak`: "spell" reads a code letter by letter, any other value is
// read instead of the text. Controls and what is marked `data-listen-skip` are not read.
(function () {
  var controls = document.querySelector("[data-listen]");
  var synth = window.speechSynthesis;
  if (!controls || !synth || typeof window.SpeechSynthesisUtterance !== "function") { return; }

  var pageLanguage = (document.documentElement.lang || "").toLowerCase();
  var play = controls.querySelector("[data-listen-play]");
  var pause = controls.querySelector("[data-listen-pause]");
  var stop = controls.querySelector("[data-listen-stop]");
  var status = controls.querySelector("[data-listen-status]");
  var state = "idle";  // idle, speaking, paused
  var queue = [];

  function primary(tag) { return (tag || "").toLowerCase().split(/[-_]/)[0]; }

  function voiceFor(language) {
    var wanted = primary(language);
    var voices = synth.getVoices() || [];
    for (var index = 0; index < voices.length; index += 1) {
      if (primary(voices[index].lang) === wanted) { return voices[index]; }
    }
    return null;
  }

  function hidden(element) {
    if (element.hidden || element.getAttribute("aria-hidden") === "true") { return true; }
    if (element.hasAttribute("data-listen-skip")) { return true; }
    var tag = element.tagName;
    if (tag === "SCRIPT" || tag === "STYLE" || tag === "TEMPLATE" || tag === "NOSCRIPT") { return true; }
    if (tag === "INPUT" && element.type === "hidden") { return true; }
    var style = window.getComputedStyle(element);
    return style.display === "none" || style.visibility === "hidden";
  }

  function spelled(text) {
    return text.replace(/[^0-9A-Za-z]/g, "").split("").join(", ");
  }

  // The readable text of the main content, as runs of one language each, in reading order.
  function runs(root) {
    var found = [];
    function add(text, language) {
      text = text.replace(/\s+/g, " ").trim();
      if (!text) { return; }
      var last = found[found.length - 1];
      if (last && last.language === language) { last.text += " " + text; } else { found.push({text: text, language: language}); }
    }
    function walk(node, language) {
      if (node.nodeType === Node.TEXT_NODE) { add(node.textContent, language); return; }
      if (node.nodeType !== Node.ELEMENT_NODE || hidden(node)) { return; }
      var own = node.getAttribute("lang") || language;
      var speak = node.getAttribute("data-speak");
      if (speak) { add(speak === "spell" ? spelled(node.textContent) : speak, own); return; }
      if (node.tagName === "IMG") { add(node.getAttribute("alt") || "", own); return; }
      // Blocks end a sentence, so that the voice pauses between a heading and what follows.
      var block = /^(H[1-6]|P|LI|DT|DD|LABEL|LEGEND|BUTTON|A|SUMMARY|TD|TH|DIV|SECTION)$/.test(node.tagName);
      for (var child = node.firstChild; child; child = child.nextSibling) { walk(child, own); }
      if (block && found.length && !/[.!?:؟。]$/.test(found[found.length - 1].text)) {
        found[found.length - 1].text += ".";
      }
    }
    walk(root, pageLanguage);
    return found;
  }

  function show(newState) {
    state = newState;
    pause.hidden = state === "idle";
    stop.hidden = state === "idle";
    play.setAttribute("aria-pressed", state === "idle" ? "false" : "true");
    pause.textContent = state === "paused" ? pause.getAttribute("data-resume-label") : pause.getAttribute("data-pause-label");
    status.textContent = state === "speaking" ? status.getAttribute("data-speaking") :
      state === "paused" ? status.getAttribute("data-paused") : "";
  }

  function next() {
    var run = queue.shift();
    if (!run) { show("idle"); return; }
    var utterance = new window.SpeechSynthesisUtterance(run.text);
    var voice = voiceFor(run.language) || voiceFor(pageLanguage);
    utterance.lang = voiceFor(run.language) ? run.language : pageLanguage;
    if (voice) { utterance.voice = voice; }
    utterance.onend = function () { if (state !== "idle") { next(); } };
    utterance.onerror = function () { queue = []; show("idle"); };
    synth.speak(utterance);
  }

  play.addEventListener("click", function () {
    synth.cancel();
    queue = runs(document.getElementById("main") || document.body);
    show("speaking");
    next();
  });
  pause.addEventListener("click", function () {
    if (state === "speaking") { synth.pause(); show("paused"); } else if (state === "paused") { synth.resume(); show("speaking"); }
  });
  stop.addEventListener("click", function () { queue = []; show("idle"); synth.cancel(); play.focus(); });

  function offer() {
    if (voiceFor(pageLanguage)) { controls.hidden = false; }
  }
  offer();
  // Browsers load their voices after the page; Chrome says so with `voiceschanged`.
  if (typeof synth.addEventListener === "function") { synth.addEventListener("voiceschanged", offer); }
  window.addEventListener("pagehide", function () { synth.cancel(); });
})();
