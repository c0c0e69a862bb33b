/* samizdat: first-party script for reader forms. Everything works without it.
   1. Reader forms (and links to the donate page) lead to the app (SITE_URL) even on a copy of
      the page elsewhere. On such a copy, once the reader starts to use one, ask the app's
      addresses (<meta name="samizdat-apps">) which one answers, in order, and point the forms
      and links there; if none does, mark <html> "apps-unreachable" so the page shows other
      ways (mirrors, the onion, the payment provider's own links).
   2. Signup forms: solve a small proof-of-work puzzle (ALTCHA) while the reader types, so the
      server can tell people from bulk bots without a third-party captcha. */
(function () {
  "use strict";
  var PROBE_MS = 4000;
  var REMEMBER_MS = 5 * 60 * 1000;
  var KEY = "samizdat-app";
  var meta = document.querySelector("meta[name=samizdat-apps]");
  var apps = meta ? meta.getAttribute("content").split(/\s+/).filter(Boolean) : [];

  function point(origin) {
    document.querySelectorAll("[data-app-path]").forEach(function (node) {
      var attribute = node.tagName === "FORM" ? "action" : "href";
      node.setAttribute(attribute, origin + node.getAttribute("data-app-path"));
    });
    document.querySelectorAll("form[data-pow]").forEach(function (form) {
      var pow = form.getAttribute("data-pow");
      form.setAttribute("data-pow", origin + pow.replace(/^[a-z]+:\/\/[^/]+/i, ""));
    });
  }

  function answers(origin) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, PROBE_MS);
    var asked = fetch(origin + "/newsletter/ping/", {
      mode: "cors", credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
      signal: controller ? controller.signal : undefined
    }).then(function (r) { return r.ok; }, function () { return false; });
    var late = new Promise(function (resolve) { setTimeout(resolve, PROBE_MS + 100, false); });
    return Promise.race([asked, late]).then(function (ok) { clearTimeout(timer); return ok; });
  }

  function remembered() {
    try {
      var seen = JSON.parse(sessionStorage.getItem(KEY) || "null");
      var fresh = seen && Date.now() - seen.at < REMEMBER_MS;
      if (fresh && (seen.origin === "" || apps.indexOf(seen.origin) >= 0)) return seen.origin;
    } catch (e) { /* no storage here (file://, private mode): ask again */ }
    return null;
  }

  function remember(origin) {
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ origin: origin, at: Date.now() }));
    } catch (e) { /* not remembered: the next page asks again */ }
  }

  function settle(origin) {
    if (origin) point(origin);
    else document.documentElement.classList.add("apps-unreachable");
    return origin;
  }

  // Resolves once the forms point where they should. On a copy elsewhere the app's addresses
  // are asked only when the reader starts to use a form or a link to the app: reading a copy
  // never contacts another server (where the main address is blocked, someone may watch who
  // tries to reach it).
  var ready = null, known = null;
  if (!apps.length || apps.indexOf(location.origin) >= 0) {
    if (apps.length) point(location.origin);
    ready = Promise.resolve(location.origin);
  } else if ((known = remembered()) !== null) {
    ready = Promise.resolve(settle(known));
  } else if (!window.fetch) {
    ready = Promise.resolve(null);
  }

  function find() {
    if (ready) return ready;
    // Ask every address at once; take the first in the list's order that answered.
    var probes = apps.map(answers);
    ready = probes.reduce(function (found, probe, index) {
      return found.then(function (origin) {
        return origin || probe.then(function (ok) { return ok ? apps[index] : ""; });
      });
    }, Promise.resolve("")).then(function (origin) { remember(origin); return settle(origin); });
    ready.then(function () { settled = true; });
    return ready;
  }

  var settled = ready !== null;
  function appNode(event) {
    return event.target.closest ? event.target.closest("[data-app-path]") : null;
  }
  document.addEventListener("focusin", function (event) { if (appNode(event)) find(); });
  // A reader who submits or follows a link before the answer is in waits for it (at most a
  // few seconds).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (settled || event.defaultPrevented || !form.hasAttribute("data-app-path")) return;
    event.preventDefault();
    find().then(function () { form.submit(); });
  });
  document.addEventListener("click", function (event) {
    var link = appNode(event);
    if (settled || event.defaultPrevented || !link || link.tagName !== "A") return;
    event.preventDefault();
    find().then(function () { location.href = link.href; });
  });

  var subtle = window.crypto && window.crypto.subtle;
  if (!subtle || !window.fetch || !window.TextEncoder) return;
  var encoder = new TextEncoder();

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  async function solve(puzzle) {
    for (var n = 0; n <= puzzle.maxnumber; n++) {
      var digest = await subtle.digest(puzzle.algorithm, encoder.encode(puzzle.salt + n));
      if (hex(digest) === puzzle.challenge) return n;
    }
    return null;
  }

  function arm(form) {
    var field = form.querySelector("input[name=altcha]");
    if (!field) return;
    var work = null;
    function start() {
      if (work) return work;
      work = find()
        .then(function () {
          var url = form.getAttribute("data-pow");
          return fetch(url, { mode: "cors", credentials: "omit", cache: "no-store" });
        })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (puzzle) {
          return solve(puzzle).then(function (number) {
            if (number === null) return;
            field.value = btoa(JSON.stringify({
              algorithm: puzzle.algorithm, challenge: puzzle.challenge,
              number: number, salt: puzzle.salt, signature: puzzle.signature
            }));
          });
        })
        .catch(function () { /* the form still works without the puzzle */ });
      return work;
    }
    form.addEventListener("focusin", start);
    form.addEventListener("submit", function (event) {
      if (field.value || form.dataset.waited) return;
      event.preventDefault();
      form.dataset.waited = "1";
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      var timeout = new Promise(function (resolve) { setTimeout(resolve, 8000); });
      Promise.race([start(), timeout]).then(function () { form.submit(); });
    });
  }

  document.querySelectorAll("form[data-pow]").forEach(arm);
})();
