/* samizdat: "Remind me later" for the donation appeal, on the live site and on static copies.
   Loaded in <head> so a snoozed appeal never flashes. The cookie holds one value, the same
   whatever the reason to hide the appeal, for the same number of days: it never tells whether
   the reader gave. Only the reader's click sets it. */
(function () {
  "use strict";
  var NAME = "samizdat_remind";
  var root = document.documentElement;
  var VALUE = "1";  // as donations/views.py sets it
  if (/(?:^|;\s*)samizdat_remind=1(?:;|$)/.test(document.cookie)) root.className += " appeal-snoozed";

  function snooze(days) {
    document.cookie = NAME + "=" + VALUE + "; max-age=" + days * 86400 + "; path=/; samesite=lax" +
      (location.protocol === "https:" ? "; secure" : "");
    root.className += " appeal-snoozed";
  }

  // Keep one suggested amount selected among those the reader can see.
  function syncAmounts(form) {
    var checked = form.querySelector("input[name=amount]:checked");
    if (checked && checked.offsetParent !== null) return;
    var custom = form.querySelector("input[name=custom_amount]");
    if (custom && custom.value) return;
    var visible = Array.prototype.filter.call(
      form.querySelectorAll("input[name=amount]"), function (i) { return i.offsetParent !== null; });
    if (visible.length) visible[Math.floor(visible.length / 2)].checked = true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.appeal-later").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        snooze(parseInt(form.getAttribute("data-days"), 10) || 14);
        var done = form.getAttribute("data-done");  // the thank-you page says it is done
        if (done) form.textContent = done;
      });
    });
    document.querySelectorAll("form.donate-form").forEach(function (form) {
      form.addEventListener("change", function (event) {
        var name = event.target.name;
        if (name === "frequency" || name === "currency") syncAmounts(form);
        if (name === "amount") {
          var custom = form.querySelector("input[name=custom_amount]");
          if (custom) custom.value = "";
        }
      });
    });
  });
})();
