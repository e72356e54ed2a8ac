/* Search as you type for the help search box (an ARIA 1.2 combobox with a listbox popup).
 *
 * The form works without this script: it only adds a list of suggested articles under the box,
 * fetched from the form's data-suggest-url. Up and Down move through the list, Enter opens the
 * chosen article, Escape closes the list. Text is set with textContent only: suggestions are
 * never parsed as HTML. No inline handler and no inline style: the page's CSP allows neither.
 */
(function () {
  "use strict";

  var DELAY_MS = 150;
  var counter = 0;

  function setUp(form) {
    var input = form.querySelector("input[name=q]");
    var lang = form.querySelector("input[name=lang]");
    if (!input || !window.fetch) {
      return;
    }
    counter += 1;
    var listId = "help-suggestions-" + counter;
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "help-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", form.getAttribute("data-suggest-label") || "");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.parentNode.appendChild(list);
    input.parentNode.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    var items = [];
    var active = -1;
    var timer = null;
    var pending = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choose(index) {
      active = index;
      items.forEach(function (item, i) {
        item.element.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", items[index].element.id);
        items[index].element.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(suggestions) {
      list.textContent = "";
      items = suggestions.map(function (suggestion, i) {
        var option = document.createElement("li");
        option.id = listId + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = suggestion.title;
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the box until the click completes
        });
        option.addEventListener("click", function () {
          window.location.assign(suggestion.url);
        });
        list.appendChild(option);
        return { element: option, url: suggestion.url };
      });
      active = -1;
      var template = form.getAttribute("data-suggest-count") || "{count}";
      status.textContent = items.length ? template.replace("{count}", items.length) : "";
      if (items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
    }

    function fetchSuggestions() {
      var text = input.value.trim();
      if (pending) {
        pending.abort();
        pending = null;
      }
      if (text.length < 2) {
        show([]);
        return;
      }
      var url = new URL(form.getAttribute("data-suggest-url"), window.location.href);
      url.searchParams.set("q", text);
      if (lang && lang.value) {
        url.searchParams.set("lang", lang.value);
      }
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
          if (input.value.trim() === text) {
            show(data.suggestions || []);
          }
        })
        .catch(function () {
          /* aborted or offline: the plain search still works */
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown") {
        if (open) {
          event.preventDefault();
          choose(active + 1 < items.length ? active + 1 : 0);
        } else if (items.length) {
          event.preventDefault();
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        choose(active > 0 ? active - 1 : items.length - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        window.location.assign(items[active].url);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });

    input.addEventListener("blur", close);
  }

  document.querySelectorAll("form[data-suggest-url]").forEach(setUp);
})();
