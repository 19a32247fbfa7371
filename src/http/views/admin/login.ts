import { html } from "hono/html";
import type { Html } from "./parts.ts";

/** The one page of the console that is open to everyone: no nav, nothing about the list. */
export function loginPage(options: { next: string; error?: string | undefined; passwordEnabled: boolean; tokenEnabled: boolean }): Html {
  const what = options.tokenEnabled && options.passwordEnabled ? "Admin token or password" : options.passwordEnabled ? "Password" : "Admin token";
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <meta name="robots" content="noindex" />
    <title>Log in · Lessonpost admin</title>
    <link rel="stylesheet" href="/assets/app.css" />
    <link rel="stylesheet" href="/assets/admin.css" />
  </head>
  <body class="admin">
    <main class="admin-login">
      <h1>Lessonpost admin</h1>
      <form method="post" action="/admin/login" class="card">
        ${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ""}
        <input type="hidden" name="next" value="${options.next}" />
        <input type="text" name="username" value="admin" autocomplete="username" hidden />
        <label for="secret">${what}</label>
        <input type="password" id="secret" name="secret" autocomplete="current-password" required autofocus maxlength="1024" />
        <button type="submit">Log in</button>
        <p class="hint">The session lasts 12 hours.</p>
      </form>
    </main>
  </body>
</html>`;
}
