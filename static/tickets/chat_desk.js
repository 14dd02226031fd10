// The agents' live chat in the admin (templates/admin/tickets/ticket/chat.html), over the desk's
// socket (tickets/consumers.py AgentDeskConsumer). Customer text is shown with textContent only.
(function () {
  "use strict";
  var root = document.querySelector("[data-chat-desk]");
  if (!root) { return; }
  var text = root.dataset;
  var chatId = Number(text.chatId || 0);
  var queue = root.querySelector("[data-queue]");
  var availability = root.querySelector("[data-availability]");
  var availabilityText = root.querySelector("[data-availability-text]");
  var notifyButton = root.querySelector("[data-notify]");
  var connection = root.querySelector("[data-connection]");
  var thread = root.querySelector("[data-thread]");
  var holder = root.querySelector("[data-holder]");
  var takeButton = root.querySelector("[data-take]");
  var endButton = root.querySelector("[data-end]");
  var typing = root.querySelector("[data-typing]");
  var reply = root.querySelector("[data-reply]");
  var error = root.querySelector("[data-error]");
  var announce = root.querySelector("[data-announce]");
  var box = reply ? reply.querySelector("textarea") : null;
  var NOTIFY = "sekvens-chat-notify";
  var socket = null;
  var retry = 0;
  var lastId = 0;
  var known = {};
  var typingTimer = null;
  var typingSent = 0;
  var heartbeat = null;
  // The reply sent and not yet acknowledged: its text stays in the box until the server has it.
  var pending = "";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(message)); }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + text.socketPath);
    socket.addEventListener("open", function () {
      retry = 0;
      connection.textContent = "";
      send({ type: "hello" });
      if (chatId) { send({ type: "watch", chat: chatId, last_id: lastId }); }
      clearInterval(heartbeat);
      heartbeat = setInterval(function () { send({ type: "ping" }); }, 30000);
    });
    socket.addEventListener("message", function (event) { receive(JSON.parse(event.data)); });
    socket.addEventListener("close", function () {
      socket = null;
      if (pending) { unsent(text.textUnsure); }
      clearInterval(heartbeat);
      connection.textContent = text.textReconnecting;
      retry = Math.min(retry + 1, 5);
      setTimeout(connect, 500 * Math.pow(2, retry - 1));
    });
  }

  function receive(data) {
    if (data.type === "queue") {
      showQueue(data.chats);
      showAvailability(data.online);
    } else if (data.type === "new_chat") {
      announce.textContent = text.textNew;
      notify(data);
    } else if (data.type === "messages" && data.chat === chatId) {
      data.messages.forEach(addMessage);
      markRead();
    } else if (data.type === "message" && data.chat === chatId) {
      addMessage(data.message);
      if (data.message.from === "customer") { typing.textContent = ""; markRead(); }
    } else if (data.type === "typing" && data.chat === chatId) {
      typing.textContent = text.textTyping;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.textContent = ""; }, 5000);
    } else if (data.type === "state" && data.chat === chatId) {
      showState(data);
    } else if (data.type === "ack" && pending && data.client_id === pending) {
      pending = "";
      box.value = "";
      box.readOnly = false;
    } else if (data.type === "error" && data.chat === chatId) {
      var message = data.code === "taken" ? fill(text.textTakenError, { name: data.holder })
        : data.code === "ended" ? text.textEnded
        : data.code === "too_long" ? text.textTooLong : text.textFailed;
      if (pending) { unsent(message); } else { error.textContent = message; }
    }
  }

  function showQueue(chats) {
    if (!chats.length) {
      var empty = document.createElement("li");
      empty.textContent = text.textNone;
      queue.replaceChildren(empty);
      return;
    }
    queue.replaceChildren.apply(queue, chats.map(function (chat) {
      var item = document.createElement("li");
      item.className = "chat-desk-" + chat.state;
      var link = document.createElement("a");
      link.href = text.deskUrl + chat.chat + "/";
      link.textContent = chat.name + " (" + chat.reference + ")";
      if (chat.chat === chatId) { link.setAttribute("aria-current", "page"); }
      var meta = document.createElement("span");
      meta.className = "chat-desk-meta";
      var minutes = Math.floor(chat.waiting_seconds / 60);
      meta.textContent = (chat.state === "waiting" ? text.textWaiting : text.textActive) + " · " + minutes + " min"
        + (chat.agent ? " · " + fill(text.textHas, { name: chat.agent }) : "");
      item.append(link, meta);
      return item;
    }));
  }

  function showAvailability(online) {
    availability.setAttribute("aria-pressed", String(online));
    availabilityText.textContent = online ? text.textOnline : text.textAway;
  }
  availability.addEventListener("click", function () {
    send({ type: "availability", online: availability.getAttribute("aria-pressed") !== "true" });
  });

  // Sound and a browser notification for a new chat: only once the agent asked for them.
  function notifyOn() { try { return localStorage.getItem(NOTIFY) === "1"; } catch (e) { return false; } }
  notifyButton.setAttribute("aria-pressed", String(notifyOn()));
  notifyButton.addEventListener("click", function () {
    var on = !notifyOn();
    try { localStorage.setItem(NOTIFY, on ? "1" : "0"); } catch (e) { /* private mode */ }
    notifyButton.setAttribute("aria-pressed", String(on));
    if (on && "Notification" in window && Notification.permission === "default") { Notification.requestPermission(); }
  });
  function notify(data) {
    if (!notifyOn()) { return; }
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      var tone = audio.createOscillator();
      tone.frequency.value = 880;
      tone.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.2);
    } catch (e) { /* no audio */ }
    if ("Notification" in window && Notification.permission === "granted") {
      new Notification(text.textNew, { body: data.name, tag: "sekvens-chat-" + data.chat });
    }
  }

  if (!chatId) { connect(); return; }

  function addMessage(message) {
    if (known[message.id]) { return; }
    known[message.id] = true;
    lastId = Math.max(lastId, message.id);
    var item = document.createElement("li");
    item.className = message.from === "agent" ? "chat-desk-agent" : "chat-desk-customer";
    item.dataset.id = message.id;
    var meta = document.createElement("span");
    meta.className = "chat-desk-meta";
    meta.textContent = message.name + " · " + new Date(message.at).toLocaleTimeString();
    var body = document.createElement("span");
    body.textContent = message.body;
    item.append(meta, body);
    thread.append(item);
    thread.scrollTop = thread.scrollHeight;
  }

  function markRead() {
    var customer = thread.querySelectorAll(".chat-desk-customer");
    if (customer.length && document.visibilityState === "visible") {
      send({ type: "read", chat: chatId, upto: Number(customer[customer.length - 1].dataset.id) });
    }
  }
  document.addEventListener("visibilitychange", markRead);

  function showState(data) {
    var mine = data.agent_id !== null && data.agent_id === Number(text.meId);
    holder.textContent = data.abandoned ? text.textLeft : data.state === "ended" ? text.textEnded
      : mine ? text.textMine : data.agent ? fill(text.textHas, { name: data.agent }) : text.textNobody;
    takeButton.hidden = Boolean(data.agent) || data.state === "ended";
    endButton.hidden = data.state === "ended";
    // The customer has left: an answer now goes by email, from the ticket page. A draft stays
    // in the box, read-only, to be copied there.
    var ended = data.state === "ended";
    box.readOnly = ended;
    reply.querySelector("[type=submit]").hidden = ended;
  }

  takeButton.addEventListener("click", function () { error.textContent = ""; send({ type: "take", chat: chatId }); });
  endButton.addEventListener("click", function () { send({ type: "end", chat: chatId }); });
  // A reply that did not reach the server keeps its text in the box, with why.
  function unsent(message) {
    pending = "";
    box.readOnly = false;
    error.textContent = message;
  }
  reply.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = box.value.trim();
    if (!body || pending) { return; }
    if (!socket || socket.readyState !== WebSocket.OPEN) { error.textContent = text.textOffline; return; }
    error.textContent = "";
    pending = String(Date.now());
    box.readOnly = true;
    send({ type: "message", chat: chatId, body: body, client_id: pending });
  });
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); reply.requestSubmit(); }
  });
  box.addEventListener("input", function () {
    if (Date.now() - typingSent > 3000) { typingSent = Date.now(); send({ type: "typing", chat: chatId }); }
  });
  var answers = root.querySelector("[data-answers]");
  if (answers) {
    root.querySelector("[data-insert]").addEventListener("click", function () {
      var option = answers.selectedOptions[0];
      var insert = option.dataset.answer + "\n" + location.origin + option.dataset.url;
      var start = box.selectionStart, end = box.selectionEnd;
      box.value = box.value.slice(0, start) + insert + box.value.slice(end);
      box.focus();
      box.selectionStart = box.selectionEnd = start + insert.length;
    });
  }
  connect();
})();
