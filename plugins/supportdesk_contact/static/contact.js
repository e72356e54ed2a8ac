/* Help articles suggested while a seller writes to support.
 *
 * The form works without this script: the server then shows suggestions after a first submit.
 * With it, articles for the subject and the message appear under the message as the seller
 * types (fetched from the form's data-contact-suggest-url, a moment after the last key), in a
 * polite live region; once the seller has seen some, the form says so when it is sent, and the
 * server does not ask again. Text is set with textContent only, never parsed as HTML; no inline
 * handler and no inline style, as the page's CSP allows neither.
 */
(function () {
  "use strict";

  var DELAY_MS = 400;
  var MIN_CHARS = 3;
  var MAX_CHARS = 300;

  function setUp(form) {
    var subject = form.querySelector("[name=subject]");
    var body = form.querySelector("[name=body]");
    var region = document.getElementById("contact-suggestions");
    if (!subject || !body || !region || !window.fetch) {
      return;
    }
    var timer = null;
    var pending = null;
    var asked = null;
    var seen = false;

    function written() {
      return (subject.value + " " + body.value).replace(/\s+/g, " ").trim().slice(0, MAX_CHARS);
    }

    function show(suggestions) {
      region.textContent = "";
      if (!suggestions.length) {
        return;
      }
      var box = document.createElement("section");
      box.className = "contact-live-box";
      var title = document.createElement("h2");
      title.textContent = region.getAttribute("data-title") || "";
      box.appendChild(title);
      var list = document.createElement("ul");
      suggestions.forEach(function (suggestion) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = suggestion.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.textContent = suggestion.title;
        item.appendChild(link);
        if (suggestion.snippet) {
          var snippet = document.createElement("p");
          snippet.className = "hint";
          snippet.textContent = suggestion.snippet;
          item.appendChild(snippet);
        }
        list.appendChild(item);
      });
      box.appendChild(list);
      region.appendChild(box);
      seen = true;
    }

    function fetchSuggestions() {
      var text = written();
      if (text === asked) {
        return;
      }
      asked = text;
      if (pending) {
        pending.abort();
        pending = null;
      }
      if (text.length < MIN_CHARS) {
        show([]);
        return;
      }
      var url = new URL(form.getAttribute("data-contact-suggest-url"), window.location.href);
      url.searchParams.set("q", text);
      pending = new AbortController();
      fetch(url.toString(), {
        signal: pending.signal,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        })
        .then(function (data) {
          if (written() === text) {
            show(data.suggestions || []);
          }
        })
        .catch(function () {
          /* aborted or offline: the form still works, and the server suggests on submit */
        });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DELAY_MS);
    }

    subject.addEventListener("input", later);
    body.addEventListener("input", later);
    form.addEventListener("submit", function () {
      if (seen && !form.querySelector("input[type=hidden][name=seen_suggestions]")) {
        var flag = document.createElement("input");
        flag.type = "hidden";
        flag.name = "seen_suggestions";
        flag.value = "1";
        form.appendChild(flag);
      }
    });
    if (written().length >= MIN_CHARS) {
      fetchSuggestions(); // filled from the help search: suggest at once
    }
  }

  document.querySelectorAll("form[data-contact-suggest-url]").forEach(setUp);
})();
