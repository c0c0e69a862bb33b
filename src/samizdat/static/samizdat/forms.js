/* samizdat: first-party script for reader forms. Everything works without it.
   Signup forms: solve a small proof-of-work puzzle (ALTCHA) while the reader types, so the
   server can tell people from bulk bots without a third-party captcha. */
(function () {
  "use strict";
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
      work = fetch(form.getAttribute("data-pow"), { credentials: "omit", cache: "no-store" })
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
