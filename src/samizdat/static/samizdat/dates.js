/* Fresh times read as news sites write them ("3 hours ago"), in the reader's browser: the
   page itself (and every static copy of it) carries only the exact time, which stays true. */
(function () {
  "use strict";
  var lang = document.documentElement.lang;
  if (!window.Intl || !Intl.RelativeTimeFormat) return;
  var words = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  var now = Date.now();
  document.querySelectorAll("time[data-ago]").forEach(function (time) {
    var minutes = Math.floor((now - Date.parse(time.getAttribute("datetime"))) / 60000);
    if (!(minutes >= 0 && minutes < 1440)) return;
    time.title = time.textContent;
    time.textContent = minutes < 60
      ? words.format(-minutes, "minute")
      : words.format(-Math.floor(minutes / 60), "hour");
  });
})();
