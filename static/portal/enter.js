// The portal's magic link is /portal/enter#<token>: the fragment never leaves the browser. Read it, take it out
// of the address bar (and the history), and post it once with the page's CSRF token for a session cookie.
(function () {
  "use strict";
  var form = document.getElementById("portal-enter");
  var input = document.getElementById("portal-token");
  if (!form || !input) return;
  form.addEventListener("submit", function () {
    var value = input.value.trim();
    var hash = value.indexOf("#");
    if (hash >= 0) input.value = value.slice(hash + 1); // a whole link pasted
  });
  var token = window.location.hash.slice(1);
  if (!token) return;
  history.replaceState(null, "", window.location.pathname);
  input.value = decodeURIComponent(token);
  form.submit();
})();
