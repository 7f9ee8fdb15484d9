// Completions for the search box while typing, from /api/suggest, offered through a <datalist>.
// The page works the same without this file: the form submits as usual.
"use strict";
(function () {
  const input = document.getElementById("q");
  if (!input || !window.fetch || !window.AbortController) {
    return;
  }
  const list = document.createElement("datalist");
  list.id = "q-suggestions";
  input.after(list);
  input.setAttribute("list", list.id);
  let timer = 0;
  let pending = null;

  function show(completions) {
    list.replaceChildren(...completions.map(function (completion) {
      const option = document.createElement("option");
      option.value = completion.text;  // set as a property: text, never markup
      return option;
    }));
  }

  function ask(text) {
    if (pending) {
      pending.abort();
    }
    pending = new AbortController();
    fetch("/api/suggest?" + new URLSearchParams({ q: text }), { signal: pending.signal })
      .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (body) { show(body.suggestions); })
      .catch(function () { /* aborted by newer typing, or the server is away: no completions */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    const text = input.value;
    if (!text.trim()) {
      show([]);
      return;
    }
    timer = setTimeout(function () { ask(text); }, 80);  // one request per pause in typing
  });
})();
