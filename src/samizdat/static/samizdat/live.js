/* A live story tells its reader when new updates are posted: it asks for the same page once a
   minute (same origin, nothing else) and offers a reload. Without it, readers reload. */
(function () {
  "use strict";
  var section = document.querySelector("[data-live-refresh]");
  if (!section || !window.fetch || !window.DOMParser) return;
  var known = {};
  section.querySelectorAll(".live-update").forEach(function (item) {
    known[item.id] = true;
  });
  var notice = null;
  function check() {
    if (document.hidden) return;
    fetch(location.href.split("#")[0], { cache: "no-store", credentials: "omit" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (text) {
        var page = new DOMParser().parseFromString(text, "text/html");
        var fresh = 0;
        page.querySelectorAll(".live-update").forEach(function (item) {
          if (!known[item.id]) fresh += 1;
        });
        if (!fresh) return;
        if (!notice) {
          notice = document.createElement("p");
          notice.className = "live-new";
          notice.setAttribute("role", "status");
          var link = document.createElement("a");
          link.href = location.href.split("#")[0];
          notice.appendChild(link);
          section.insertBefore(notice, section.querySelector("ol"));
        }
        notice.firstChild.textContent = section.getAttribute("data-live-refresh").replace("{n}", fresh);
      })
      .catch(function () {});
  }
  setInterval(check, 60000);
})();
