// The agents' desk: single-key shortcuts (listed by "?") and the queue's live tab counts.
// No shortcut needs Ctrl or Alt (AltGr types @ on Norwegian keyboards), and none acts while the
// agent types in a field: Esc leaves the field first.
//
// Other scripts add their own keys through the same registry, loaded before or after this one:
//   (window.deskShortcuts = window.deskShortcuts || []).push({key, label, run, available});
// `available()` says whether the page has the action now; only those are listed and run.
//
// The keys can be turned off in the "?" overlay (WCAG 2.1.4), remembered in this browser; the
// "Shortcuts" button still opens the overlay to turn them on again.
"use strict";

const SHORTCUTS_OFF_KEY = "sekvens-desk-shortcuts-off";

function shortcutsOff() {
  try {
    return window.localStorage.getItem(SHORTCUTS_OFF_KEY) === "1";
  } catch {
    return false; // Storage refused (private mode, policy): the keys stay on.
  }
}

function shortcutsOffSet(isOff) {
  try {
    if (isOff) window.localStorage.setItem(SHORTCUTS_OFF_KEY, "1");
    else window.localStorage.removeItem(SHORTCUTS_OFF_KEY);
  } catch {
    // Not remembered, but this page follows the switch all the same.
  }
}

function deskStart() {
  const dialog = document.querySelector("[data-desk-keys]");
  const labels = dialog ? dialog.dataset : {};
  const shortcuts = new Map();

  function register({ key, label, run, available = () => true }) {
    shortcuts.set(key, { key, label, run, available });
  }

  const pending = Array.isArray(window.deskShortcuts) ? window.deskShortcuts : [];
  window.deskShortcuts = { push: (...items) => items.forEach(register), register };

  const find = (selector) => document.querySelector(selector);
  const follow = (selector) => ({
    run: () => window.location.assign(find(selector).href),
    available: () => Boolean(find(selector)),
  });

  // The new note's kind ("reply" or "internal note": two radio buttons) and text, on the
  // ticket page.
  const replyBox = () => find("[data-reply-box]:not([name*='__prefix__'])");
  function write(kind) {
    const choice = find(`input[name$='-kind'][value='${kind}']:not([name*='__prefix__'])`);
    if (choice && !choice.checked) {
      choice.checked = true;
      choice.dispatchEvent(new Event("change", { bubbles: true }));
    }
    const box = replyBox();
    box.scrollIntoView({ block: "center" });
    box.focus();
  }

  register({ key: "?", label: labels.labelHelp, run: () => overlayOpen() });
  register({ key: "j", label: labels.labelNext, ...follow("[data-queue-next]") });
  register({ key: "q", label: labels.labelQueue, ...follow("[data-queue-back]") });
  register({
    key: "r",
    label: labels.labelReply,
    run: () => write("public"),
    available: () => Boolean(replyBox()),
  });
  register({
    key: "n",
    label: labels.labelNote,
    run: () => write("internal"),
    available: () => Boolean(replyBox()),
  });
  register({
    key: "t",
    label: labels.labelTake,
    run: () => find("[data-desk-take]").click(),
    available: () => Boolean(find("[data-desk-take]")),
  });
  register({
    key: "s",
    label: labels.labelStatus,
    run: () => {
      const status = find("#id_status");
      status.scrollIntoView({ block: "center" });
      status.focus();
    },
    available: () => Boolean(find("#id_status")),
  });
  register({
    key: "/",
    label: labels.labelSearch,
    run: () => find("#searchbar").focus(),
    available: () => Boolean(find("#searchbar")),
  });
  pending.forEach(register);

  function overlayOpen() {
    if (!dialog) return;
    const list = dialog.querySelector("[data-desk-keys-list]");
    list.replaceChildren();
    for (const shortcut of shortcuts.values()) {
      if (!shortcut.label || !shortcut.available()) continue;
      const term = document.createElement("dt");
      const key = document.createElement("kbd");
      key.textContent = shortcut.key;
      term.append(key);
      const description = document.createElement("dd");
      description.textContent = shortcut.label;
      list.append(term, description);
    }
    dialog.showModal();
  }

  let isOff = shortcutsOff();
  const toggle = dialog?.querySelector("[data-desk-keys-on]");
  if (toggle) {
    toggle.checked = !isOff;
    toggle.addEventListener("change", () => {
      isOff = !toggle.checked;
      shortcutsOffSet(isOff);
    });
  }

  dialog?.querySelector("[data-desk-keys-close]")?.addEventListener("click", () => dialog.close());
  for (const button of document.querySelectorAll("[data-desk-keys-open]")) {
    button.addEventListener("click", overlayOpen);
  }

  const TYPING = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
    if (event.key === "Escape" && event.target.closest?.(TYPING)) {
      event.target.blur();
      return;
    }
    if (isOff || dialog?.open) return;
    if (event.target.closest?.(TYPING) || event.target.isContentEditable) return;
    const shortcut = shortcuts.get(event.key);
    if (shortcut && shortcut.available()) {
      event.preventDefault();
      shortcut.run();
    }
  });

  const COUNTS_EVERY_MS = 30000;
  const tabs = find("[data-queue-counts]");
  if (tabs) {
    setInterval(async () => {
      if (document.hidden) return;
      try {
        const response = await fetch(tabs.dataset.queueCounts, { credentials: "same-origin" });
        if (!response.ok) return;
        const counts = await response.json();
        for (const badge of tabs.querySelectorAll("[data-count]")) {
          badge.textContent = counts[badge.dataset.count];
        }
      } catch {
        // Offline for a moment: the next round tries again.
      }
    }, COUNTS_EVERY_MS);
  }
}

// Admin pages load their scripts in the head, before the elements they use.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", deskStart);
else deskStart();
