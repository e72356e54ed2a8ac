/* The policy assistant while the seller types the feedback's text.
 *
 * The form works without this script: its first submit shows the assistant's suggestions and
 * asks to confirm. With it, the suggestions appear under the text as it is typed (from the
 * form's data-check-url, a same-origin POST carrying the form's CSRF token), and the form's
 * hidden "checked" field records which text they were for, so the first submit sends the
 * dispute. Text is set with textContent only; no inline handler or style (the CSP allows none).
 * Text already in the box when the script starts (typed while the page was still loading, or
 * kept by the browser on Back) is checked at once: its suggestions would otherwise wait for the
 * next key press.
 */
(function () {
  "use strict";

  var DELAY_MS = 400;

  function setUp(form) {
    var text = form.querySelector("textarea[name=feedback_text]");
    var checked = form.querySelector("input[name=checked]");
    var token = form.querySelector("input[name=csrf_token]");
    var panel = document.getElementById("dispute-hints");
    var body = panel && panel.querySelector(".dispute-hints-body");
    if (!text || !checked || !panel || !body || !window.fetch) {
      return;
    }
    var timer = null;
    var pending = null;

    function show(hints) {
      body.textContent = "";
      if (!hints.length) {
        panel.hidden = true;
        return;
      }
      var list = document.createElement("ul");
      list.className = "dispute-hints-list";
      hints.forEach(function (hint) {
        var item = document.createElement("li");
        var label = document.createElement("strong");
        label.textContent = hint.label;
        item.appendChild(label);
        if (hint.matches.length) {
          var found = document.createElement("span");
          found.className = "muted";
          found.textContent = " — " + hint.matches.join(", ");
          item.appendChild(found);
        }
        list.appendChild(item);
      });
      body.appendChild(list);
      panel.hidden = false;
    }

    function ask() {
      var value = text.value;
      if (pending) {
        pending.abort();
      }
      pending = new AbortController();
      fetch(form.getAttribute("data-check-url"), {
        method: "POST",
        signal: pending.signal,
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": token ? token.value : "",
        },
        body: JSON.stringify({ text: value }),
      })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (data && text.value === value) {
            show(data.hints || []);
            checked.value = data.checked || "";
          }
        })
        .catch(function () {
          /* aborted or offline: the form's own check step still works */
        });
    }

    text.addEventListener("input", function () {
      checked.value = "";
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    });

    if (text.value.trim() && checked.value === "") {
      ask();
    }
  }

  document.querySelectorAll("form[data-check-url]").forEach(setUp);
})();
