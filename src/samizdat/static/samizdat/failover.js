// Registers the site's service worker (sw.js at the root of the site or of the copy this
// page is part of), which reads the page from a mirror when this address fails. Pages work
// without it; a copy opened from disk never registers one.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !("serviceWorker" in navigator)) return;
  if (location.protocol !== "https:" && location.protocol !== "http:") return;
  var own = "static/samizdat/failover.js";
  var src = script.src.split(/[?#]/)[0];
  if (src.slice(-own.length) !== own) return;
  var root = src.slice(0, -own.length);
  if (root.indexOf(location.origin + "/") !== 0) return;
  navigator.serviceWorker.register(root + "sw.js", { scope: root }).catch(function () {
    // not allowed here (a private window, a policy): the page works as it is
  });
})();
