// The reply box's picker: a few typed letters find saved replies and FAQ answers (rendered for
// this ticket by the server), arrows choose, Enter inserts the text where the cursor was in the
// reply. A saved reply's status and priority go with the form (a hidden field) and are set
// when the reply is saved. "m" opens the picker (desk.js's registry).
"use strict";

function pickerStart() {
  const picker = document.querySelector("[data-reply-picker]");
  const box = document.querySelector("[data-reply-box]:not([name*='__prefix__'])");
  if (!picker || !box) return;
  const hidden = box.closest(".inline-related")?.querySelector("[data-saved-reply]");
  const input = picker.querySelector("input");
  const list = picker.querySelector("[role=listbox]");
  const none = picker.querySelector("[data-picker-none]");
  const chosenNote = picker.querySelector("[data-picker-chosen]");
  const faqLabel = picker.querySelector("[data-label-faq]").textContent;
  // Where the cursor (or selection) was in the reply when the agent left it for the picker.
  let selection = { from: box.value.length, end: box.value.length };
  let results = [];
  let active = -1;
  let asked = 0;

  box.closest(".form-row")?.before(picker);
  picker.hidden = false;

  const remember = () => {
    selection = { from: box.selectionStart, end: box.selectionEnd };
  };
  box.addEventListener("blur", remember);
  box.addEventListener("keyup", remember);
  box.addEventListener("click", remember);

  function show(items) {
    results = items;
    active = items.length ? 0 : -1;
    list.replaceChildren(
      ...items.map((item, index) => {
        const option = document.createElement("li");
        option.id = `desk-picker-option-${index}`;
        option.setAttribute("role", "option");
        option.textContent = item.name;
        if (item.kind === "faq") {
          const tag = document.createElement("span");
          tag.className = "desk-picker-tag";
          tag.textContent = faqLabel;
          option.append(" ", tag);
        }
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          insert(index);
        });
        return option;
      }),
    );
    list.hidden = !items.length;
    none.hidden = Boolean(items.length) || !input.value.trim();
    input.setAttribute("aria-expanded", String(Boolean(items.length)));
    highlight();
  }

  function highlight() {
    list.querySelectorAll("[role=option]").forEach((option, index) => {
      option.setAttribute("aria-selected", String(index === active));
    });
    if (active >= 0) input.setAttribute("aria-activedescendant", `desk-picker-option-${active}`);
    else input.removeAttribute("aria-activedescendant");
  }

  async function search() {
    const number = ++asked;
    const url = `${picker.dataset.repliesUrl}?${new URLSearchParams({ q: input.value })}`;
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok || number !== asked) return;
      show((await response.json()).results);
    } catch {
      // Offline for a moment: the next letter asks again.
    }
  }

  function insert(index) {
    const item = results[index];
    if (!item) return;
    box.focus();
    box.setRangeText(item.text, selection.from, selection.end, "end");
    box.dispatchEvent(new Event("input", { bubbles: true }));
    remember();
    if (item.kind === "macro" && hidden) {
      hidden.value = item.id;
      chosenNote.hidden = !(item.status || item.priority);
    }
    input.value = "";
    show([]);
  }

  input.addEventListener("input", search);
  input.addEventListener("focus", search);
  input.addEventListener("blur", () => show([]));
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!results.length) return;
      const step = event.key === "ArrowDown" ? 1 : -1;
      active = (active + step + results.length) % results.length;
      highlight();
    } else if (event.key === "Enter") {
      // Never the change form's submit: Enter here chooses.
      event.preventDefault();
      insert(active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      show([]);
      box.focus();
      box.setSelectionRange(selection.from, selection.end);
    }
  });

  (window.deskShortcuts = window.deskShortcuts || []).push({
    key: "m",
    label: document.querySelector("[data-desk-keys]")?.dataset.labelReplies,
    run: () => {
      input.scrollIntoView({ block: "center" });
      input.focus();
    },
    available: () => true,
  });
}

// Admin pages load their scripts in the head, before the elements they use.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", pickerStart);
else pickerStart();
