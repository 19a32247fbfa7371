/* global document */
/**
 * One-step confirm: posts the confirm page's own form as soon as a person can see the page, so
 * opening the link in the email is enough. Link scanners that only fetch the page never run this;
 * without scripts the button is still there.
 */
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector('form[method="post"][action^="/confirm/"]');
  if (!form) return;
  var sent = false;
  function send() {
    // A page rendered ahead of time (prerendering) or in a hidden tab waits until it is shown.
    if (sent || document.prerendering || document.visibilityState !== "visible") return;
    sent = true;
    var button = form.querySelector("button");
    if (button) {
      // One POST is enough; a second would only answer "already confirmed".
      button.disabled = true;
      button.textContent = "Confirming…";
    }
    form.submit();
  }
  document.addEventListener("visibilitychange", send);
  document.addEventListener("prerenderingchange", send);
  send();
});
