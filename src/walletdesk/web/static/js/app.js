// walletdesk's only script: small enhancements. Every page works without it.
(function () {
  "use strict";
  // SLA countdowns: <span class="countdown" data-due="ISO-8601" data-overdue="text">.
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { return; }
      var left = Math.round((due - now) / 60000);
      el.classList.toggle("breached", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 60);
      var abs = Math.abs(left), d = Math.floor(abs / 1440), h = Math.floor(abs / 60) % 24, m = abs % 60;
      // Days past two days: "12d 3h" reads faster in a queue than "291h 5m".
      var span = abs >= 2880 ? d + "d " + h + "h" : (Math.floor(abs / 60) ? Math.floor(abs / 60) + "h " : "") + m + "m";
      el.textContent = left < 0 ? (el.getAttribute("data-overdue") || "overdue") + " " + span : span;
    });
  }
  // Buttons that change money or security ask once more: <button data-confirm="text">.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var text = button && button.getAttribute("data-confirm");
    if (text && !window.confirm(text)) { event.preventDefault(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 30000);
    var chat = document.querySelector("[data-scroll-bottom]");
    if (chat) { chat.scrollTop = chat.scrollHeight; }
  });
})();
