/* global document, window, fetch, setTimeout */
/**
 * The admin console's only script (the CSP allows no inline script). Pages work without it; with
 * it, a broadcast's progress bar follows the send live and the buttons that reach many readers ask
 * first.
 */
(function () {
  "use strict";

  // A button or form with data-confirm asks before submitting (e.g. "send to 1,000 readers now?").
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var form = event.target;
    var message = (button && button.getAttribute("data-confirm")) || (form && form.getAttribute && form.getAttribute("data-confirm"));
    if (message && !window.confirm(message)) event.preventDefault();
  });

  var FIELDS = ["percent", "settled", "expected", "total", "queued", "sent", "failed", "cancelled", "bounced", "delivered", "statusLabel"];

  function watch(bar) {
    var url = bar.getAttribute("data-progress-url");
    var root = bar.closest("[data-progress]") || document;
    var delay = 1000;
    function set(name, value) {
      root.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) { el.textContent = String(value); });
    }
    function poll() {
      fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (progress) {
          bar.value = progress.percent;
          bar.textContent = progress.percent + "%";
          FIELDS.forEach(function (name) { if (name in progress) set(name, progress[name]); });
          delay = 1000;
          if (progress.done) {
            bar.setAttribute("data-done", "true");
            root.querySelectorAll("[data-hide-when-done]").forEach(function (el) { el.hidden = true; });
            return;
          }
          setTimeout(poll, delay);
        })
        .catch(function () {
          // Network blip or a restart: keep watching, but back off.
          delay = Math.min(delay * 2, 15000);
          setTimeout(poll, delay);
        });
    }
    setTimeout(poll, delay);
  }

  // The console menu is a <details>, open in the page so it works without this script; on a
  // phone's width it starts closed (the links would fill the screen) and opens from its summary.
  function fitMenu() {
    var menu = document.querySelector("details.admin-menu");
    if (!menu || !window.matchMedia) return;
    var narrow = window.matchMedia("(max-width: 48rem)");
    menu.open = !narrow.matches;
    narrow.addEventListener("change", function () { menu.open = !narrow.matches; });
  }

  function start() {
    fitMenu();
    document.querySelectorAll("progress[data-progress-url]").forEach(function (bar) {
      if (bar.getAttribute("data-done") !== "true") watch(bar);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
