import { Hono } from "hono";
import { AppError } from "../errors.ts";
import type { AppEnv } from "../env.ts";
import { parseSignup } from "../signup-input.ts";
import { checkInboxPage, signupPage } from "../views/pages.tsx";
import { tooManyPage } from "../views/reader-pages.tsx";
import { recordSignup } from "../../store/subscribers.ts";
import { resolveTimezone } from "../../domain/schedule.ts";
import { dispatchQuietly } from "../../commands/dispatch.ts";

/** Bumped whenever the words next to the signup button change; stored with every opt-in. */
export const CONSENT_TEXT_VERSION = "2026-11-signup-v1";

const ACCEPTED_MESSAGE = "Check your inbox: if this address can receive the course, a confirmation link is on its way.";

export const signupRoutes = new Hono<AppEnv>()
  .get("/", (c) => c.html(signupPage(c.var.deps.course)))
  .post("/subscribe", async (c) => {
    const { deps, now } = c.var;
    const wantsJson = (c.req.header("content-type") ?? "").toLowerCase().startsWith("application/json");
    const raw = wantsJson ? await c.req.json().catch(() => null) : await c.req.parseBody().catch(() => null);
    if (raw === null) throw new AppError(400, "bad_body", "The request body could not be read.");
    const parsed = parseSignup(raw);
    if (!parsed.ok) {
      if (wantsJson) return c.json({ error: { code: "invalid_input", field: parsed.field, message: parsed.message } }, 422);
      const email = typeof (raw as Record<string, unknown>).email === "string" ? String((raw as Record<string, unknown>).email).slice(0, 254) : "";
      return c.html(signupPage(deps.course, { error: parsed.message, email }), 422);
    }
    const { fields } = parsed;
    const accepted = () => (wantsJson ? c.json({ status: "accepted", message: ACCEPTED_MESSAGE }, 202) : c.html(checkInboxPage(deps.course)));
    // A bot filled the honeypot: answer exactly as for a person, store nothing.
    if (fields.website) return accepted();

    const ip = deps.clientIp?.(c) ?? null;
    const verdict = (await deps.signupLimiter?.check(ip, fields.email)) ?? { allowed: true };
    if (!verdict.allowed) {
      c.header("Retry-After", String(verdict.retryAfterSeconds));
      if (wantsJson) return c.json({ error: { code: "rate_limited", message: "Too many signups from here. Try again later." } }, 429);
      return c.html(tooManyPage(verdict.retryAfterSeconds), 429);
    }

    const result = await recordSignup(
      deps.db,
      {
        email: fields.email,
        name: fields.name,
        timezone: resolveTimezone(fields.timezone, deps.course.schedule.timezone),
        ip,
        userAgent: c.req.header("user-agent")?.slice(0, 500) ?? null,
        form: wantsJson ? "api" : "signup-page",
        consentTextVersion: CONSENT_TEXT_VERSION,
      },
      now,
      { enqueuedAt: deps.dispatcher ? now : null },
    );
    if (result.confirmationSendId) await dispatchQuietly(deps, [result.confirmationSendId], { alreadyMarked: true });
    // Same answer for new, pending and known addresses: the endpoint never reveals who is subscribed.
    return accepted();
  });
