// The agents' desk: "j" (or "n") opens the next ticket of the queue, and the queue's tab counts
// stay current. No shortcut needs Ctrl or Alt: AltGr types @ on Norwegian keyboards.
"use strict";

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  if (event.key !== "j" && event.key !== "n") return;
  const next = document.querySelector("[data-queue-next]");
  if (next) {
    event.preventDefault();
    window.location.assign(next.href);
  }
});

const COUNTS_EVERY_MS = 30000;
const tabs = document.querySelector("[data-queue-counts]");
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
