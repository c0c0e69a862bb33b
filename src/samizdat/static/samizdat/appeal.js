/* samizdat: "Remind me later" for the donation appeal, on the live site and on static copies.
   Loaded in <head> so a snoozed appeal never flashes. The cookie holds only a date. */
(function () {
  "use strict";
  var NAME = "samizdat_remind";
  var root = document.documentElement;
  function day(date) {  // the reader's local date, yyyy-mm-dd
    return [date.getFullYear(), date.getMonth() + 1, date.getDate()].map(function (n) {
      return n < 10 ? "0" + n : String(n);
    }).join("-");
  }
  function today() { return day(new Date()); }
  var match = document.cookie.match(/(?:^|;\s*)samizdat_remind=(\d{4}-\d{2}-\d{2})/);
  if (match && match[1] > today()) root.className += " appeal-snoozed";

  function snooze(days) {
    var until = day(new Date(Date.now() + days * 864e5));
    document.cookie = NAME + "=" + until + "; max-age=" + days * 86400 + "; path=/; samesite=lax" +
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
