/**
 * The signup form as a publisher pastes it into their own site (one of ALLOWED_ORIGINS): a plain
 * HTML form, and the same form with a small script that posts JSON and shows the answer in place.
 * Plain strings, shown escaped on the admin course page and documented in the README.
 */

/** For an HTML attribute value in double quotes. */
function attribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * The fields both versions share: first the course the form signs up for (its slug, which the
 * signup needs once an install has several courses). The honeypot is hidden with an inline style because the host
 * page has none of Lessonpost's CSS; people never see it, form-filling bots fill it.
 */
function fields(buttonLabel: string, courseSlug: string | undefined): string {
  const course = courseSlug === undefined ? "" : `  <input type="hidden" name="course" value="${attribute(courseSlug)}">\n`;
  return `${course}  <label for="lessonpost-email">Email address</label>
  <input id="lessonpost-email" name="email" type="email" required autocomplete="email">
  <label for="lessonpost-name">First name (optional)</label>
  <input id="lessonpost-name" name="name" type="text" autocomplete="given-name" maxlength="100">
  <div style="position:absolute;left:-10000px" aria-hidden="true">
    <label for="lessonpost-website">Leave this empty</label>
    <input id="lessonpost-website" name="website" type="text" tabindex="-1" autocomplete="off">
  </div>
  <button type="submit">${attribute(buttonLabel)}</button>`;
}

function subscribeUrl(appUrl: string): string {
  return `${appUrl.replace(/\/+$/, "")}/subscribe`;
}

/**
 * Posts like Lessonpost's own form. The reader lands on Lessonpost's "check your inbox" page, or,
 * with the optional `redirect` field, back on a page of the publisher's site (it must be on one of
 * ALLOWED_ORIGINS; any other address is ignored).
 */
export function htmlFormSnippet(appUrl: string, exampleOrigin: string, courseSlug?: string): string {
  return `<form method="post" action="${attribute(subscribeUrl(appUrl))}">
${fields("Send me lesson 1", courseSlug)}
  <!-- Optional: where to send the reader afterwards (a page on one of ALLOWED_ORIGINS). -->
  <!-- <input type="hidden" name="redirect" value="${attribute(exampleOrigin)}/thanks"> -->
</form>`;
}

/**
 * The same form, sent with fetch as JSON (the CORS request ALLOWED_ORIGINS permits), with the
 * reader's time zone, and the answer read out in place (aria-live). Without scripts it still
 * posts as the plain form.
 */
export function scriptSnippet(appUrl: string, courseSlug?: string): string {
  return `<form id="lessonpost-signup" method="post" action="${attribute(subscribeUrl(appUrl))}">
${fields("Send me lesson 1", courseSlug)}
  <p id="lessonpost-answer" role="status" aria-live="polite"></p>
</form>
<script>
  (() => {
    const form = document.getElementById("lessonpost-signup");
    const answer = document.getElementById("lessonpost-answer");
    const button = form.querySelector("button");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      data.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      button.disabled = true;
      answer.textContent = "Sending…";
      try {
        const response = await fetch(form.action, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify(data),
        });
        const body = await response.json();
        answer.textContent = response.ok ? body.message : body.error.message;
        if (response.ok) form.reset();
      } catch {
        answer.textContent = "The form could not be sent. Check your connection and try again.";
      } finally {
        button.disabled = false;
      }
    });
  })();
</script>`;
}
