// The ticket page's writing aids: a note and a reply look and read differently, a reply is
// previewed as the customer will get it, the undo window counts down, and the page says who
// else has the ticket open or is typing. No key bindings here (desk.js owns those).
"use strict";

(function () {
  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, fields) {
    const body = new FormData();
    body.append("csrfmiddlewaretoken", csrfToken());
    Object.entries(fields).forEach(([key, value]) => body.append(key, value));
    return fetch(url, { method: "POST", body, credentials: "same-origin" }).then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.json();
    });
  }

  // Note or reply: colour, wording and a live preview of the email.
  function composeSetUp(config) {
    const radio = document.querySelector("[data-compose-kind]");
    if (!radio) return;
    const box = radio.closest(".inline-related") || radio.closest("fieldset");
    const body = box.querySelector("textarea[name$='-body']");
    const banner = document.createElement("p");
    banner.className = "compose-banner";
    banner.setAttribute("aria-live", "polite");
    box.insertBefore(banner, box.firstChild.nextSibling);
    const preview = document.createElement("section");
    preview.className = "compose-preview";
    preview.hidden = true;
    const heading = document.createElement("h3");
    heading.textContent = config.textPreview;
    const meta = document.createElement("p");
    const text = document.createElement("pre");
    text.setAttribute("data-compose-preview", "");
    preview.append(heading, meta, text);
    body.closest(".form-row").after(preview);
    let timer = null;

    function kind() {
      const checked = box.querySelector("[data-compose-kind]:checked");
      return checked ? checked.value : "internal";
    }

    function previewRefresh() {
      post(config.previewUrl, { body: body.value }).then((data) => {
        meta.textContent = `${config.textTo}: ${data.to} · ${config.textSubject}: ${data.subject}`;
        text.textContent = data.text;
      }).catch(() => {});
    }

    function show() {
      const isReply = kind() === "public";
      box.dataset.composeMode = isReply ? "reply" : "note";
      banner.textContent = isReply ? config.textReply : config.textNote;
      preview.hidden = !isReply;
      if (isReply) previewRefresh();
    }

    box.addEventListener("change", (event) => {
      if (event.target.matches("[data-compose-kind]")) show();
    });
    body.addEventListener("input", () => {
      if (kind() !== "public") return;
      clearTimeout(timer);
      timer = setTimeout(previewRefresh, 300);
    });
    show();
    return body;
  }

  // The undo window: a countdown; when it is over the button goes (the worker sends). The
  // ticking number is outside any live region: a screen reader hears the start and the end.
  function heldSetUp() {
    const status = document.querySelector("[data-compose-held-status]");
    document.querySelectorAll("[data-compose-held]").forEach((section) => {
      const seconds = section.querySelector("[data-compose-seconds]");
      let left = parseInt(seconds.textContent, 10);
      if (status) status.textContent = seconds.parentElement.textContent.trim();
      const timer = setInterval(() => {
        left -= 1;
        seconds.textContent = String(Math.max(left, 0));
        if (left <= 0) {
          clearInterval(timer);
          section.remove();
          if (status) status.textContent = status.dataset.textOver;
        }
      }, 1000);
    });
  }

  // Presence over polling. A push transport (the chat's websocket) can take its place: it needs
  // only send(state) and to call onOthers(list) when the others change.
  function pollingTransport(url, seconds, onOthers) {
    let state = { typing: "" };
    function beat() {
      post(url, state).then((data) => onOthers(data.others)).catch(() => {});
    }
    beat();
    setInterval(beat, seconds * 1000);
    window.addEventListener("pagehide", () => {
      const body = new FormData();
      body.append("csrfmiddlewaretoken", csrfToken());
      body.append("leave", "1");
      navigator.sendBeacon(url, body);
    });
    return {
      send(next) {
        const changed = next.typing !== state.typing;
        state = next;
        if (changed) beat();
      },
    };
  }

  function presenceSetUp(element, body) {
    function onOthers(others) {
      element.hidden = others.length === 0;
      element.replaceChildren();
      if (!others.length) return;
      const label = document.createElement("strong");
      label.textContent = `${element.dataset.textOpen}: `;
      element.append(label);
      others.forEach((other, index) => {
        const name = document.createElement("span");
        name.className = other.typing ? "compose-typing" : "";
        name.textContent = other.typing
          ? `${other.name} (${element.dataset.textTyping} …)`
          : other.name;
        if (index) element.append(", ");
        element.append(name);
      });
    }
    const transport = pollingTransport(element.dataset.url, Number(element.dataset.beat), onOthers);
    if (!body) return;
    let idle = null;
    body.addEventListener("input", () => {
      transport.send({ typing: body.value.trim() ? "1" : "" });
      clearTimeout(idle);
      idle = setTimeout(() => transport.send({ typing: "" }), 8000);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const element = document.querySelector("[data-compose]");
    let body = null;
    if (element) body = composeSetUp(element.dataset);
    heldSetUp();
    const presence = document.querySelector("[data-compose-presence]");
    if (presence) presenceSetUp(presence, body);
  });
})();
