// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // A double-click must not cost two single-use codes, two sync requests or two calls that change
  // a connection: once a form marked data-single-submit is submitted, further submissions of any
  // such form are ignored. The server holds this too; this spares a click. The busy label
  // (data-busy-label, or data-single-submit's own value) goes on the button that submitted: the
  // selection page's one form has a button per platform. aria-disabled, not disabled, so that
  // the button's platform_key is still sent.
  var submitting = false;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-single-submit")) return;
    if (submitting) { event.preventDefault(); return; }
    submitting = true;
    document.querySelectorAll("form[data-single-submit] button[type=submit]").forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
    });
    var button = event.submitter || form.querySelector("button[type=submit]");
    var busy = form.getAttribute("data-busy-label") || form.getAttribute("data-single-submit") || "Opening…";
    if (button) { button.dataset.label = button.textContent; button.textContent = busy; button.setAttribute("aria-label", button.dataset.label); }
    if (button && button.hasAttribute("data-link-name")) linkWaitStart(button);
  });

  // Waiting for Codat is never silent: say what is happening (a live region), keep the other
  // tiles inert, and after a few seconds offer a way out. Without JS the browser's own
  // loading indicator is all there is, and the server's deadline still holds.
  var WAY_OUT_AFTER_MS = 6000;
  var wayOutTimer = null;
  function linkWaitStart(button) {
    var tile = button.closest(".tile");
    var status = tile && tile.querySelector("[data-link-wait]");
    if (!status) return;
    status.textContent = "Opening the " + button.getAttribute("data-link-name") +
      " set-up at Codat. This can take a few seconds; please keep this page open.";
    status.classList.add("link-wait--active");
    document.querySelectorAll(".tile").forEach(function (other) { if (other !== tile) other.inert = true; });
    tile.setAttribute("aria-busy", "true");
    wayOutTimer = window.setTimeout(function () {
      var more = document.createElement("span");
      more.className = "link-wait__more";
      more.textContent = " Codat is taking longer than usual. ";
      var stop = document.createElement("button");
      stop.type = "button";
      stop.className = "button button--secondary link-wait__stop";
      stop.textContent = "Stop waiting";
      stop.addEventListener("click", function () {
        window.stop();
        linkWaitReset(status, "Stopped. Nothing was changed: choose a platform to try again.");
      });
      status.appendChild(more);
      status.appendChild(stop);
    }, WAY_OUT_AFTER_MS);
  }
  function linkWaitReset(status, message) {
    window.clearTimeout(wayOutTimer);
    submitting = false;
    document.querySelectorAll("[data-link-wait]").forEach(function (other) {
      other.textContent = other === status ? message : "";
      other.classList.toggle("link-wait--active", other === status && !!message);
    });
    document.querySelectorAll(".tile").forEach(function (tile) { tile.inert = false; tile.removeAttribute("aria-busy"); });
    document.querySelectorAll("form[data-single-submit] button[type=submit]").forEach(function (button) {
      button.removeAttribute("aria-disabled");
      if (button.dataset.label) { button.textContent = button.dataset.label; button.removeAttribute("aria-label"); }
    });
  }
  // Coming back with the Back button restores this page from cache: allow a fresh start.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    linkWaitReset(null, "");
  });

  // A logo that stops resolving (evicted elsewhere, a cache lag) shows the monogram beside it
  // instead of a broken image. Error events don't bubble: listen in the capture phase, and
  // check the images that failed before this script ran. (CSP: no inline onerror.)
  function logoFallback(img) {
    var monogram = img.parentNode && img.parentNode.querySelector(".monogram");
    if (!monogram) return;
    monogram.hidden = false;
    img.remove();
  }
  document.addEventListener("error", function (event) {
    if (event.target.matches && event.target.matches("img[data-logo-fallback]")) logoFallback(event.target);
  }, true);
  document.querySelectorAll("img[data-logo-fallback]").forEach(function (img) {
    if (img.complete && img.naturalWidth === 0) logoFallback(img);
  });

  // Finding one platform among many: past a handful of tiles, a box that filters them by name
  // (case-insensitive, anywhere in the name) and says how many are left, in a polite live region.
  // Without JS the box stays hidden and every tile is simply listed.
  var FILTER_PAST = 6;
  var ANNOUNCE_AFTER_MS = 400; // after typing pauses, not at every key
  document.querySelectorAll("[data-tile-filter]").forEach(function (filter) {
    var input = filter.querySelector("input[type=search]");
    var status = filter.querySelector("[data-tile-filter-status]");
    var list = input && document.getElementById(input.getAttribute("aria-controls"));
    if (!list || !status) return;
    var tiles = Array.prototype.filter.call(list.children, function (tile) { return tile.querySelector(".tile__name"); });
    if (tiles.length <= FILTER_PAST) return;
    filter.hidden = false;
    var announceTimer = null;

    function apply(typing) {
      var query = input.value.trim().toLocaleLowerCase();
      var shown = tiles.filter(function (tile) {
        var match = tile.querySelector(".tile__name").textContent.toLocaleLowerCase().indexOf(query) !== -1;
        tile.hidden = !match;
        return match;
      });
      window.clearTimeout(announceTimer);
      if (typing) announceTimer = window.setTimeout(function () { say(query ? shown : null); }, ANNOUNCE_AFTER_MS);
      else if (query) say(shown);
      else status.textContent = "";
    }
    function say(shown) {
      status.textContent = "";
      if (shown === null) { status.textContent = "All " + tiles.length + " platforms shown."; return; }
      if (shown.length) {
        var names = shown.length <= 3 ? ": " + shown.map(function (tile) { return tile.querySelector(".tile__name").textContent; }).join(", ") : "";
        status.textContent = shown.length + (shown.length === 1 ? " platform" : " platforms") + " shown" + names + ".";
        return;
      }
      status.appendChild(document.createTextNode("No platform matches “" + input.value.trim() + "”. "));
      var notListed = document.getElementById("not-listed");
      var heading = notListed && notListed.querySelector("h2");
      if (heading) {
        var pointer = document.createElement("a");
        pointer.href = "#not-listed";
        pointer.textContent = heading.textContent + "?";
        status.appendChild(pointer);
      }
    }
    input.addEventListener("input", function () { apply(true); });
    // A value the browser restored (Back, a reload) filters as it did.
    apply(false);
    window.addEventListener("pageshow", function () { apply(false); });
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
