// The help page's chat launcher (templates/tickets/chat_launcher.html; the socket: tickets/consumers.py).
// The chat's token lives in localStorage, never in a cookie: the page stays the same bytes for all.
// Messages are text: built with createElement and textContent, links made by hand, never innerHTML.
(function () {
  "use strict";
  var root = document.querySelector("[data-chat]");
  if (!root) { return; }
  // The launcher's own stylesheet, loaded after the page's first view; shown once it is there
  // (it is fixed at the corner, so showing it moves nothing on the page).
  var sheet = document.createElement("link");
  sheet.rel = "stylesheet";
  sheet.href = root.dataset.stylesheet;
  sheet.addEventListener("load", function () { root.hidden = false; });
  document.head.appendChild(sheet);
  var STORE = "sekvens-chat";
  var text = root.dataset;
  var panel = root.querySelector("[data-chat-panel]");
  var toggle = root.querySelector("[data-chat-toggle]");
  var statusNote = root.querySelector("[data-chat-status]");
  var ask = root.querySelector("[data-chat-ask]");
  var startForm = root.querySelector("[data-chat-start]");
  var startButton = root.querySelector("[data-chat-start-button]");
  var startLabel = startButton.textContent;
  var conversation = root.querySelector("[data-chat-conversation]");
  var log = root.querySelector("[data-chat-log]");
  var typing = root.querySelector("[data-chat-typing]");
  var connection = root.querySelector("[data-chat-connection]");
  var compose = root.querySelector("[data-chat-compose]");
  var input = compose.querySelector("textarea");
  var sendError = root.querySelector("[data-chat-send-error]");
  var endActions = root.querySelector("[data-chat-end-actions]");
  var ended = root.querySelector("[data-chat-ended]");
  var thanks = root.querySelector("[data-chat-thanks]");
  var agentLine = root.querySelector("[data-chat-agent]");
  var state = load();
  // The newest message shown on this page: a reconnect asks for what came after it, a new page
  // (nothing shown yet) for the whole conversation.
  var lastId = 0;
  var socket = null;
  var retry = 0;
  var outbox = [];
  var known = {};
  var readUpto = 0;
  var available = false;
  var formToken = "";
  var typingTimer = null;
  var typingSent = 0;
  var heartbeat = null;

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE)) || {}; } catch (error) { return {}; }
  }
  function save() {
    try { localStorage.setItem(STORE, JSON.stringify(state)); } catch (error) { /* private mode */ }
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  function show(step) {
    [ask, startForm, conversation, thanks].forEach(function (element) { element.hidden = element !== step; });
  }
  function post(url, data) {
    var body = new FormData();
    Object.keys(data).forEach(function (key) { body.append(key, data[key]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin" }).then(function (response) {
      return response.json().then(function (json) { json.status = response.status; return json; });
    });
  }

  toggle.addEventListener("click", function () { setOpen(panel.hidden); });
  root.querySelector("[data-chat-close]").addEventListener("click", function () { setOpen(false); toggle.focus(); });
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { setOpen(false); toggle.focus(); }
  });

  function setOpen(open) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (!open) { return; }
    if (state.token) {
      show(conversation);
      connect();
      input.focus();
      return;
    }
    refreshStatus();
    if (thanks.hidden && startForm.hidden) { show(ask); }
    (startForm.hidden ? ask.querySelector("textarea") : startForm.querySelector("input")).focus();
  }

  function refreshStatus() {
    return fetch(text.statusUrl, { credentials: "same-origin" }).then(function (response) { return response.json(); })
      .then(function (status) {
        available = status.available;
        var note = available ? text.textOpen : (status.reason === "offline" ? text.textOffline : text.textClosed);
        statusNote.textContent = fill(note, { hours: status.answer_hours });
        startButton.textContent = available ? startLabel : startButton.dataset.offlineLabel;
      }).catch(function () { statusNote.textContent = ""; });
  }

  // Step 1: the question, and the FAQ answers the contact form would suggest for it.
  var suggestTimer = null;
  var suggestions = root.querySelector("[data-chat-suggestions]");
  var suggestionList = root.querySelector("[data-chat-suggestion-list]");
  ask.querySelector("textarea").addEventListener("input", function (event) {
    clearTimeout(suggestTimer);
    var value = event.target.value.trim();
    suggestTimer = setTimeout(function () {
      if (value.length < 4) { suggestions.hidden = true; return; }
      post(text.suggestUrl, { message: value }).then(function (data) {
        suggestionList.replaceChildren.apply(suggestionList, (data.suggestions || []).map(function (item) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = item.url;
          a.textContent = item.question;
          a.addEventListener("click", function () { setOpen(false); });
          li.append(a);
          return li;
        }));
        suggestions.hidden = !(data.suggestions || []).length;
      }).catch(function () { suggestions.hidden = true; });
    }, 400);
  });
  ask.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!ask.querySelector("textarea").value.trim()) { ask.querySelector("textarea").focus(); return; }
    show(startForm);
    startForm.querySelector("input").focus();
  });

  // Step 2: name and email; a chat when someone is there, else a message answered by email.
  startForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var error = startForm.querySelector("[data-chat-error]");
    error.textContent = "";
    var data = {
      name: startForm.elements.name.value,
      email: startForm.elements.email.value,
      website: startForm.elements.website.value,
      message: ask.querySelector("textarea").value,
    };
    startButton.disabled = true;
    var sent = available ? post(text.startUrl, data) : leaveMessage(data);
    sent.then(function (result) {
      startButton.disabled = false;
      if (result.status === 409) { available = false; return refreshStatus(); }
      if (result.errors) {
        error.textContent = Object.keys(result.errors).map(function (key) { return result.errors[key].join(" "); }).join(" ");
        return;
      }
      if (result.status >= 400) { error.textContent = result.error === "limited" ? text.textLimited : text.textError; return; }
      if ("reference" in result || !result.token) {
        thanks.textContent = fill(text.textThanks, { reference: result.reference || "" });
        show(thanks);
        thanks.focus();
        return;
      }
      state = { token: result.token };
      lastId = 0;
      save();
      log.replaceChildren();
      known = {};
      show(conversation);
      connect();
      input.focus();
    }).catch(function () { startButton.disabled = false; error.textContent = text.textError; });
  });

  function leaveMessage(data) {
    var token = formToken ? Promise.resolve(formToken) : fetch(text.tokenUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); }).then(function (json) { formToken = json.token; return formToken; });
    return token.then(function (value) { data.token = value; return post(text.messageUrl, data); });
  }

  // Step 3: the conversation over the socket. Every message has its id; after a reconnect the
  // server sends what came after the last id seen, and ids already shown are skipped.
  function connect() {
    if (socket || !state.token) { return; }
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + text.socketPath + encodeURIComponent(state.token) + "/");
    socket.addEventListener("open", function () {
      retry = 0;
      connection.textContent = "";
      socket.send(JSON.stringify({ type: "hello", last_id: lastId }));
      outbox.splice(0).forEach(send);
      // "Still here" while the page is open, so a quiet chat is not taken for one left.
      clearInterval(heartbeat);
      heartbeat = setInterval(function () { send({ type: "ping" }); }, 30000);
    });
    socket.addEventListener("message", function (event) { receive(JSON.parse(event.data)); });
    socket.addEventListener("close", function (event) {
      socket = null;
      clearInterval(heartbeat);
      // The chat's link was renewed or the ticket erased: say so, rather than vanish silently.
      if (event.code === 4404) {
        var had = Boolean(state.token);
        state = {};
        save();
        if (had) { showEnded(); root.querySelector("[data-chat-ended-text]").textContent = text.textGone; } else { forget(); }
        return;
      }
      if (!state.token) { return; }
      connection.textContent = text.textReconnecting;
      retry = Math.min(retry + 1, 5);
      setTimeout(connect, 500 * Math.pow(2, retry - 1));
    });
  }

  function forget() {
    state = {};
    save();
    log.replaceChildren();
    known = {};
    lastId = 0;
    show(ask);
  }

  function receive(data) {
    if (data.type === "messages") {
      data.messages.forEach(addMessage);
    } else if (data.type === "message") {
      addMessage(data.message);
      if (data.message.from === "agent") { typing.textContent = ""; }
    } else if (data.type === "ack") {
      var pending = log.querySelector('[data-client-id="' + CSS.escape(data.client_id) + '"]');
      if (pending) { confirm(pending, data.id); }
    } else if (data.type === "error") {
      var failed = log.querySelector('[data-client-id="' + CSS.escape(data.client_id || "") + '"]');
      if (failed) { failed.remove(); }
      if (data.code === "ended") { showEnded(); return; }
      sendError.textContent = data.code === "limited" ? text.textLimited
        : data.code === "too_long" ? text.textTooLong : text.textFailed;
    } else if (data.type === "typing") {
      typing.textContent = fill(text.textTyping, { name: data.name || text.textTeam });
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.textContent = ""; }, 5000);
    } else if (data.type === "read") {
      markRead(data.upto);
    } else if (data.type === "state") {
      // An agent who gave no first name is "Kundeservice" to the customer.
      var agent = data.agent || (data.state === "active" ? text.textTeam : "");
      agentLine.textContent = agent ? fill(text.textAgent, { name: agent }) : text.textWaiting;
      markRead(data.read_upto || 0);
      if (data.state === "ended") { showEnded(); }
    }
  }

  function addMessage(message) {
    if (known[message.id]) { return; }
    var own = message.from === "customer";
    var item = null;
    if (own) {
      // Our own message, broadcast before its ack came: the pending bubble becomes it.
      item = Array.prototype.find.call(log.querySelectorAll("[data-client-id]"), function (li) {
        return !li.dataset.id && li.dataset.body === message.body;
      }) || null;
    }
    if (item) { confirm(item, message.id); } else { log.append(bubble(message, own)); }
    known[message.id] = true;
    lastId = Math.max(lastId, message.id);
  }

  function bubble(message, own) {
    var item = document.createElement("li");
    item.className = "chat-message" + (own ? " chat-message-own" : "");
    var meta = document.createElement("span");
    meta.className = "chat-message-meta";
    meta.textContent = own ? text.textYou : message.name || text.textTeam;
    var body = document.createElement("span");
    linkified(body, message.body);
    item.append(meta, body);
    if (own) {
      var delivery = document.createElement("span");
      delivery.className = "chat-message-meta";
      delivery.dataset.delivery = "";
      delivery.textContent = message.id ? text.textSent : text.textSending;
      item.append(delivery);
    }
    if (message.id) { item.dataset.id = message.id; }
    return item;
  }

  function confirm(item, id) {
    item.dataset.id = id;
    known[id] = true;
    var delivery = item.querySelector("[data-delivery]");
    if (delivery) { delivery.textContent = id <= readUpto ? text.textRead : text.textSent; }
    lastId = Math.max(lastId, id);
  }

  function markRead(upto) {
    readUpto = Math.max(readUpto, upto);
    log.querySelectorAll(".chat-message-own[data-id]").forEach(function (item) {
      if (Number(item.dataset.id) <= readUpto) { item.querySelector("[data-delivery]").textContent = text.textRead; }
    });
  }

  function linkified(element, value) {
    var parts = value.split(/(https?:\/\/[^\s<>"]+)/g);
    parts.forEach(function (part, index) {
      if (index % 2 === 1) {
        var link = document.createElement("a");
        link.href = part;
        link.textContent = part;
        link.rel = "noopener noreferrer nofollow";
        link.target = "_blank";
        element.append(link);
      } else if (part) {
        element.append(document.createTextNode(part));
      }
    });
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    } else {
      outbox.push(message);
      connect();
    }
  }

  compose.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = input.value.trim();
    if (!body) { return; }
    sendError.textContent = "";
    var clientId = String(Date.now()) + Math.random().toString(16).slice(2);
    var item = bubble({ body: body, id: 0 }, true);
    item.dataset.clientId = clientId;
    item.dataset.body = body;
    log.append(item);
    input.value = "";
    send({ type: "message", body: body, client_id: clientId });
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); compose.requestSubmit(); }
  });
  input.addEventListener("input", function () {
    if (Date.now() - typingSent > 3000 && socket && socket.readyState === WebSocket.OPEN) {
      typingSent = Date.now();
      socket.send(JSON.stringify({ type: "typing" }));
    }
  });

  root.querySelectorAll("[data-chat-end]").forEach(function (button) {
    button.addEventListener("click", function () {
      send({ type: "end", transcript: button.hasAttribute("data-transcript") });
      showEnded(button.hasAttribute("data-transcript"));
    });
  });
  root.querySelector("[data-chat-new]").addEventListener("click", function () {
    if (socket) { var old = socket; state = {}; old.close(); } else { state = {}; }
    forget();
    refreshStatus();
    ended.hidden = true;
    endActions.hidden = false;
    compose.hidden = false;
    ask.querySelector("textarea").value = "";
    ask.querySelector("textarea").focus();
  });

  function showEnded(withTranscript) {
    compose.hidden = true;
    endActions.hidden = true;
    ended.hidden = false;
    var line = root.querySelector("[data-chat-ended-text]");
    line.textContent = text.textEnded + (withTranscript ? " " + text.textTranscript : "");
  }

  // A chat going on in this browser: back on the page, it carries on where it was.
  if (state.token) { connect(); show(conversation); }
})();
