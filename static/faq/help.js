// Progressive enhancement of the help page: everything here also works without JavaScript.
(function () {
  "use strict";

  // An entry's anchor is the id of its answer (faq_entry.html): a link to it (/#anchor) makes the
  // browser open the closed <details> itself, so this only moves the question into view.
  function entryOf(anchor) {
    var answer = anchor && document.getElementById(anchor);
    var entry = answer && answer.parentNode;
    return entry && entry.matches("details.faq-entry") ? entry : null;
  }

  function anchorOf(entry) {
    return entry.querySelector(":scope > summary + div").id;
  }

  function openTarget() {
    var entry = entryOf(decodeURIComponent(location.hash.slice(1)));
    if (entry) {
      entry.open = true;
      entry.scrollIntoView();
      entry.querySelector("summary").focus({ preventScroll: true });
    }
  }

  // The last search of this page load that the log counted (faq/search_log.py): a result opened
  // after it, or the contact form sent, is reported with it.
  var searchLogged = "";

  // The server ranks (faq/search.py); this shows its answer: the matching entries best first,
  // their matched words in <mark>, built as text nodes so no question can bring in markup.
  function setUpSearch(block) {
    var input = block.querySelector("[data-faq-search]");
    var status = block.querySelector("[data-faq-status]");
    var empty = block.querySelector("[data-faq-empty]");
    var list = block.querySelector("[data-faq-list]");
    var entries = Array.prototype.slice.call(list.querySelectorAll(":scope > details"));
    // The summary is the question, then (staff preview) a "Hidden" badge after a space.
    var questions = new Map(entries.map(function (entry) {
      var summary = entry.querySelector("summary");
      var badge = summary.querySelector(".badge");
      var text = summary.textContent;
      if (badge) { text = text.slice(0, text.length - badge.textContent.length - 1); }
      return [entry, { anchor: anchorOf(entry), summary: summary, badge: badge, text: text }];
    }));
    var timer, asked = 0;
    // Only the last query of a typing burst is counted: the one still there after LOG_DELAY.
    var LOG_DELAY = 1500, logTimer, logging = Promise.resolve(), opened = new Set();
    // A search page (/?q=) was counted by the server.
    if (input.value.trim()) { searchLogged = input.value.trim(); }

    function logSearch() {
      clearTimeout(logTimer);
      logTimer = null;
      var query = input.value.trim();
      if (query.length < 3 || query === searchLogged) { return logging; }
      searchLogged = query;
      var url = block.dataset.searchUrl + "?" +
        new URLSearchParams({ q: query, v: block.dataset.version, logg: "1" });
      logging = fetch(url, { keepalive: true, headers: { Accept: "application/json" } })
        .catch(function () {});
      return logging;
    }

    // A result opened while a search is shown: reported once per query, after the search itself
    // was counted (the server counts an opening only for a query it has).
    list.addEventListener("toggle", function (event) {
      if (!event.target.open || !input.value.trim()) { return; }
      (logTimer ? logSearch() : logging).then(function () {
        var query = searchLogged;
        if (query !== input.value.trim() || opened.has(query) || !navigator.sendBeacon) { return; }
        opened.add(query);
        // The beacon's address beside /sok/: /sok/logg/ (with the language prefix, if any).
        navigator.sendBeacon(block.dataset.searchUrl + "logg/",
          new URLSearchParams({ q: query, hendelse: "apnet" }));
      });
    }, true);
    window.addEventListener("pagehide", function () { if (logTimer) { logSearch(); } });
    // The search page that the form opens (/?q=) is counted there.
    input.form.addEventListener("submit", function () { clearTimeout(logTimer); logTimer = null; });

    function mark(entry, pieces) {
      var question = questions.get(entry);
      var nodes = (pieces || [[question.text, false]]).map(function (piece) {
        if (!piece[1]) { return document.createTextNode(piece[0]); }
        var marked = document.createElement("mark");
        marked.textContent = piece[0];
        return marked;
      });
      if (question.badge) { nodes.push(document.createTextNode(" "), question.badge); }
      question.summary.replaceChildren.apply(question.summary, nodes);
    }

    function show(results, query) {
      var ranked = new Map(results.map(function (r) { return [r.anchor, r.question]; }));
      entries.forEach(function (entry) {
        var anchor = questions.get(entry).anchor;
        entry.hidden = query !== "" && !ranked.has(anchor);
        mark(entry, ranked.get(anchor));
      });
      var order = query ? results.map(function (r) { return entryOf(r.anchor); })
        .filter(function (entry) { return entry && list.contains(entry); }) : entries;
      order.forEach(function (entry) { list.appendChild(entry); });
      var shown = query ? order.length : entries.length;
      empty.hidden = shown !== 0;
      status.textContent = query ? status.dataset[shown === 1 ? "one" : "many"]
        .replace("%s", shown) : "";
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      clearTimeout(logTimer);
      logTimer = setTimeout(logSearch, LOG_DELAY);
      timer = setTimeout(function () {
        var query = input.value.trim();
        var number = asked += 1;
        if (!query) { show([], ""); return; }
        var url = block.dataset.searchUrl + "?" +
          new URLSearchParams({ q: query, v: block.dataset.version });
        fetch(url, { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : Promise.reject(); })
          .then(function (data) {
            // An answer to an older query that arrives late must not replace a newer one.
            if (number === asked) { show(data.results, query); }
          })
          .catch(function () { /* the form still searches with ?q= on submit */ });
      }, 200);
    });
  }

  // One form (help_page.html) takes every answer's vote: the button pressed names the answer.
  // Its thanks goes in a status line made beside the buttons when the first vote is sent, so
  // the line exists before its text arrives and screen readers announce it.
  function setUpVotes(form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button) { return; }
      event.preventDefault();
      var line = button.parentNode;
      var status = line.querySelector("[role=status]");
      if (!status) {
        status = document.createElement("span");
        status.className = "faq-feedback-status";
        status.setAttribute("role", "status");
        line.insertBefore(status, line.querySelector(".faq-permalink"));
      }
      var body = new URLSearchParams([[button.name, button.value]]);
      fetch(form.action, { method: "POST", body: body, headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(); })
        .then(function (data) {
          line.querySelectorAll("button").forEach(function (b) {
            b.setAttribute("aria-pressed", b === button ? "true" : "false");
          });
          status.textContent = data.message;
          // Under this answer's buttons, not after the page's hidden vote form.
          if (data.reasons_url) { reasonsAsk(line, data.reasons_url); }
        })
        .catch(function () { status.textContent = form.dataset.error; });
    });
    // A link to each answer, to copy; without JavaScript the address with #anchor does the same.
    document.querySelectorAll("details.faq-entry > p").forEach(function (line) {
      var link = document.createElement("a");
      link.className = "faq-permalink";
      link.href = "#" + anchorOf(line.parentNode);
      link.textContent = form.dataset.permalink;
      line.appendChild(link);
    });
  }

  // After a "No": what was missing, asked with the page's one reasons form (a <template>),
  // copied under this answer only, so no answer carries a form of its own.
  function reasonsAsk(after, url) {
    var template = document.querySelector("template[data-faq-reasons]");
    var next = after.nextElementSibling;
    if (!template || (next && next.hasAttribute("data-faq-reasons-form"))) { return; }
    var form = template.content.firstElementChild.cloneNode(true);
    form.action = url;
    after.after(form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var status = form.querySelector("[data-faq-reasons-status]");
      fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: "application/json" }
      })
        .then(function (response) {
          return response.json().then(function (data) { return [response.ok, data]; });
        })
        .then(function (answer) {
          status.textContent = answer[1].message;
          if (answer[0]) {
            form.querySelectorAll("fieldset, label, button").forEach(function (part) {
              part.hidden = true;
            });
          }
        })
        .catch(function () { status.textContent = form.dataset.error; });
    });
  }

  function setUpContactForm(form) {
    var submit = form.querySelector("[data-submit]");
    var errors = form.querySelector("[data-form-errors]");
    var message = form.querySelector("textarea[name=message]");
    var box = form.querySelector("[data-suggestions]");
    var list = form.querySelector("[data-suggestion-list]");
    var tokenInput = form.querySelector("[name=token]");
    var timer, lastText = "", tokenAsked;
    // The page is the same for every visitor; the form's one-time token is fetched when the
    // visitor starts on the form. Without it the server still takes the form (see README).
    function tokenFetch() {
      if (!tokenAsked) {
        tokenAsked = tokenInput.value ? Promise.resolve() : fetch(form.dataset.tokenUrl, {
          credentials: "same-origin", cache: "no-store"
        })
          .then(function (response) { return response.ok ? response.json() : {}; })
          .then(function (data) { if (data.token) { tokenInput.value = data.token; } })
          .catch(function () {});
      }
      return tokenAsked;
    }
    form.addEventListener("focusin", tokenFetch);
    form.addEventListener("submit", function (event) {
      // The customer is sending: a suggestion asked for now would only race the form's POST.
      clearTimeout(timer);
      // The search this page load counted, so that the ticket is counted with it (tickets calls
      // faq.search_log.search_ticketed); made here, so the page's markup does not carry it.
      if (searchLogged) {
        var searched = form.querySelector("[name=search_query]") || document.createElement("input");
        searched.type = "hidden";
        searched.name = "search_query";
        searched.value = searchLogged;
        form.appendChild(searched);
      }
      if (!tokenInput.value) {
        event.preventDefault();
        submit.disabled = true;
        tokenFetch().then(function () { form.submit(); });
        return;
      }
      // After this event the form is already on its way; a second click cannot send it again.
      setTimeout(function () { submit.disabled = true; }, 0);
    });
    // A page the browser brings back (Back after sending) must be usable again.
    window.addEventListener("pageshow", function () { submit.disabled = false; });
    if (errors) {
      // After the browser's jump to #kontakt, which would otherwise take the focus away again.
      window.addEventListener("load", function () { errors.focus(); });
    }
    if (!message) { return; }
    message.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = message.value.trim();
        if (text.length < 10 || text === lastText) { return; }
        lastText = text;
        var body = new URLSearchParams({ message: text, token: tokenInput.value });
        fetch(form.dataset.suggestUrl, { method: "POST", body: body })
          .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
          .then(function (data) {
            list.replaceChildren.apply(list, data.suggestions.map(function (item) {
              var li = document.createElement("li");
              var link = document.createElement("a");
              link.href = item.url;
              link.textContent = item.question;
              // Opened from the suggestion: counted once per form and answer (/kontakt/forslag/apnet/).
              link.addEventListener("click", function () {
                if (!navigator.sendBeacon) { return; }
                navigator.sendBeacon(form.dataset.suggestUrl + "apnet/",
                  new URLSearchParams({ token: tokenInput.value, entry: item.entry }));
              });
              li.appendChild(link);
              return li;
            }));
            box.hidden = data.suggestions.length === 0;
          })
          .catch(function () { box.hidden = true; });
      }, 400);
    });
  }

  document.querySelectorAll("[data-faq-block]").forEach(setUpSearch);
  // One visit per load of the help page, for the editors' visits per ticket: the page is the same
  // cached bytes for everyone, so the beacon beside /sok/ counts it (/sok/besok/).
  var faqBlock = document.querySelector("[data-faq-block]");
  if (faqBlock && navigator.sendBeacon) { navigator.sendBeacon(faqBlock.dataset.searchUrl + "besok/"); }
  document.querySelectorAll("[data-contact-form]").forEach(setUpContactForm);
  document.querySelectorAll("[data-faq-vote]").forEach(setUpVotes);
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
