/** @jsxImportSource hono/jsx */
import { Document } from "../document.tsx";
import type { Html } from "../document.tsx";

/** The one page of the console that is open to everyone: no nav, nothing about the list. */
export function loginPage(options: { next: string; error?: string | undefined; passwordEnabled: boolean; tokenEnabled: boolean }): Html {
  const what = options.tokenEnabled && options.passwordEnabled ? "Admin token or password" : options.passwordEnabled ? "Password" : "Admin token";
  return (
    <Document title="Log in · Lessonpost admin" stylesheets={["app.css", "admin.css"]} noindex bodyClass="admin">
      <main class="admin-login">
        <h1>Lessonpost admin</h1>
        <form method="post" action="/admin/login" class="card">
          {options.error ? (
            <p class="error" role="alert">
              {options.error}
            </p>
          ) : null}
          <input type="hidden" name="next" value={options.next} />
          <input type="text" name="username" value="admin" autocomplete="username" hidden />
          <label for="secret">{what}</label>
          <input type="password" id="secret" name="secret" autocomplete="current-password" required autofocus maxlength={1024} />
          <button type="submit">Log in</button>
          <p class="hint">The session lasts 12 hours.</p>
        </form>
      </main>
    </Document>
  );
}
