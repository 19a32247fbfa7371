import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../env.ts";
import { layout } from "../views/layout.tsx";
import { notFound } from "../../errors.ts";

const notInOutbox = () => notFound("not_found", "There is no email with that id in the outbox.", "Not in the outbox");

const EMAIL_SANDBOX = "allow-popups allow-popups-to-escape-sandbox";

/** A `<base target="_blank">` first in the head, so every link in the email leaves the frame. */
function linksInNewTab(emailHtml: string): string {
  const base = '<base target="_blank">';
  const head = /<head(\s[^>]*)?>/i.exec(emailHtml);
  if (!head) return base + emailHtml;
  const at = head.index + head[0].length;
  return emailHtml.slice(0, at) + base + emailHtml.slice(at);
}

/**
 * The local outbox, mounted only when no RESEND_API_KEY is set: every email the service would
 * have sent, readable in the browser. It shows readers' mail, so it must never exist in a
 * deployment that sends for real.
 */
export const outboxRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const entries = await c.var.deps.outbox!.list();
    return c.html(
      layout(
        "Outbox",
        html`<h1>Outbox</h1>
          <p class="lead">No <code>RESEND_API_KEY</code> is set, so emails are kept here instead of being sent. Newest first.</p>
          ${entries.length === 0
            ? html`<p>Nothing yet. <a href="/">Sign up</a> and the confirmation email will appear here.</p>`
            : // A list, not a table: a phone shows each email on its own lines instead of a row wider than the screen.
              html`<ul class="outbox-list">
                ${entries.map(
                  (e) => html`<li><a href="/outbox/${e.id}">${e.subject}</a><br /><span class="hint">To <span class="address">${e.to}</span> · ${new Date(e.createdAt).toISOString().replace("T", " ").slice(0, 19)} UTC</span></li>`,
                )}
              </ul>`}`,
      ),
    );
  })
  .get("/:id", async (c) => {
    const entry = await c.var.deps.outbox!.get(c.req.param("id"));
    if (!entry) throw notInOutbox();
    return c.html(
      layout(
        entry.subject,
        html`<p><a href="/outbox">← Outbox</a></p>
          <h1>${entry.subject}</h1>
          <table class="outbox-headers">
            <tr><th>From</th><td>${entry.from}</td></tr>
            <tr><th>To</th><td>${entry.to}</td></tr>
            ${Object.entries(entry.headers).map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}
          </table>
          <h2>HTML</h2>
          <iframe src="/outbox/${entry.id}/html" title="HTML part of the email" sandbox="${EMAIL_SANDBOX}"></iframe>
          <h2>Plain text</h2>
          <pre>${entry.text}</pre>`,
      ),
    );
  })
  .get("/:id/html", async (c) => {
    const entry = await c.var.deps.outbox!.get(c.req.param("id"));
    if (!entry) throw notInOutbox();
    // The email's own HTML, sandboxed: no scripts, no same-origin access, no forms. Its links open
    // in a new tab, outside the sandbox, as a mail client opens them: that is how a reader gets
    // from the confirmation email to the confirm page, whose own button then posts from our origin.
    c.header("Content-Security-Policy", `sandbox ${EMAIL_SANDBOX}; default-src 'none'; img-src * data:; style-src 'unsafe-inline'`);
    return c.html(linksInNewTab(entry.html));
  });
