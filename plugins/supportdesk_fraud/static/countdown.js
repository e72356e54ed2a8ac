// Keeps a guarantee claim's countdown current while its page stays open: every minute, asks
// the server for the text it would render now (same origin, the page's own session).
(function () {
  "use strict";
  var STATES = ["left", "overdue", "stopped", "answered"];

  function refresh(line) {
    fetch(line.dataset.countdownUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state || !state.state) { return; }
        STATES.forEach(function (name) { line.classList.remove("fraud-countdown-" + name); });
        line.classList.add("fraud-countdown-" + state.state);
        line.querySelector(".fraud-countdown-text").textContent = state.text;
      })
      .catch(function () { /* offline for a moment: the next minute tries again */ });
  }

  document.querySelectorAll(".fraud-countdown[data-countdown-url]").forEach(function (line) {
    window.setInterval(function () { refresh(line); }, 60000);
  });
})();
