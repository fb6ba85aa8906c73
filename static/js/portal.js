// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // A double-click must not cost two single-use codes, two sync requests or two calls that change
  // a connection: once a form marked data-single-submit is submitted, further submissions of any
  // such form are ignored. The server holds this too; this spares a click. The busy label is
  // data-busy-label, or data-single-submit's own value.
  var submitting = false;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-single-submit")) return;
    if (submitting) { event.preventDefault(); return; }
    submitting = true;
    document.querySelectorAll("form[data-single-submit] button[type=submit]").forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
    });
    var button = form.querySelector("button[type=submit]");
    var busy = form.getAttribute("data-busy-label") || form.getAttribute("data-single-submit") || "Opening…";
    if (button) { button.dataset.label = button.textContent; button.textContent = busy; button.setAttribute("aria-label", button.dataset.label); }
  });
  // Coming back with the Back button restores this page from cache: allow a fresh start.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    submitting = false;
    document.querySelectorAll("form[data-single-submit] button[type=submit]").forEach(function (button) {
      button.removeAttribute("aria-disabled");
      if (button.dataset.label) { button.textContent = button.dataset.label; button.removeAttribute("aria-label"); }
    });
  });

  // "Your connection" follows Codat: when a webhook changes the state, show the new page.
  // The endpoint reads the snapshot only, so polling costs no Codat call.
  var watched = document.querySelector("[data-poll-url][data-state]");
  if (watched && window.fetch) {
    var poll = function () {
      if (document.hidden) return;
      fetch(watched.getAttribute("data-poll-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data && data.state !== watched.getAttribute("data-state")) window.location.reload(); })
        .catch(function () {});
    };
    window.setInterval(poll, 5000);
  }

  // Copy buttons: <button data-copy="#id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.value || source.textContent.trim()).then(function () {
      var status = document.querySelector(button.getAttribute("data-copy-status"));
      if (status) status.textContent = "Copied.";
    });
  });
})();
