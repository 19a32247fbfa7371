import { Hono } from "hono";
import type { Context } from "hono";
import { chooseRedirect } from "../embedded-signup.ts";
import { AppError, statusOf } from "../errors.ts";
import type { AppEnv } from "../env.ts";
import { pageCsp } from "../page-csp.ts";
import { signupAccepted, signupBotCheckRefused, signupRejected, signupsThrottled } from "../presenters/signup.ts";
import { servicesFor } from "../services.ts";
import { parseBotToken, parseSignup } from "../signup-input.ts";
import { checkInboxPage, signupPage } from "../views/pages.tsx";
import { tooManyPage } from "../views/reader-pages.tsx";
import { BOT_CHECK_FIELD, signup } from "../../commands/signup.ts";
import { DomainError } from "../../errors.ts";

/** The signup page, with the Turnstile widget (and the CSP that lets it load) when a site key is set. */
function signupForm(c: Context<AppEnv>, options: { error?: string; checkError?: string; email?: string } = {}) {
  const siteKey = c.var.deps.turnstileSiteKey;
  if (siteKey) c.header("content-security-policy", pageCsp({ turnstile: true }));
  return signupPage(c.var.deps.catalogue.primary, { ...options, turnstileSiteKey: siteKey });
}

export const signupRoutes = new Hono<AppEnv>()
  .get("/", (c) => c.html(signupForm(c)))
  .post("/subscribe", async (c) => {
    const { deps } = c.var;
    const wantsJson = (c.req.header("content-type") ?? "").toLowerCase().startsWith("application/json");
    const raw = wantsJson ? await c.req.json().catch(() => null) : await c.req.parseBody().catch(() => null);
    if (raw === null) throw new AppError(400, "bad_body", "The request body could not be read.");
    const parsed = parseSignup(raw);
    if (!parsed.ok) {
      if (wantsJson) return c.json(signupRejected(parsed.field, parsed.message), 422);
      const email = typeof (raw as Record<string, unknown>).email === "string" ? String((raw as Record<string, unknown>).email).slice(0, 254) : "";
      return c.html(signupForm(c, { error: parsed.message, email }), 422);
    }
    const { fields } = parsed;
    // A form embedded on one of ALLOWED_ORIGINS may ask to send the reader back to a page there.
    const redirect = wantsJson ? ({ kind: "none" } as const) : chooseRedirect((raw as Record<string, unknown>).redirect, deps.allowedOrigins ?? []);
    const accepted = () => {
      if (wantsJson) return c.json(signupAccepted(), 202);
      if (redirect.kind === "allowed") return c.redirect(redirect.url, 303);
      return c.html(checkInboxPage(deps.catalogue.primary));
    };
    // A bot filled the honeypot: answer exactly as for a person, store nothing (and count nothing).
    if (fields.website) return accepted();
    if (redirect.kind === "refused") {
      // Ignored rather than refused, so the reader still signs up; the log tells the publisher why.
      deps.log.warn("signup redirect ignored: not on ALLOWED_ORIGINS", { redirectOrigin: redirect.origin });
    }

    const ip = deps.clientIp?.(c) ?? null;
    const verdict = (await deps.signupLimiter?.check(ip, fields.email)) ?? { allowed: true };
    if (!verdict.allowed) {
      c.header("Retry-After", String(verdict.retryAfterSeconds));
      if (wantsJson) return c.json(signupsThrottled(), 429);
      return c.html(tooManyPage(verdict.retryAfterSeconds), 429);
    }

    try {
      await signup(servicesFor(c), {
        email: fields.email,
        name: fields.name,
        timezone: fields.timezone,
        ip,
        userAgent: c.req.header("user-agent")?.slice(0, 500) ?? null,
        form: wantsJson ? "api" : "signup-page",
        botCheck: deps.botCheck ? { check: deps.botCheck, token: parseBotToken(raw) } : undefined,
      });
    } catch (error) {
      // A failed bot check gives the form back (with what was typed) rather than a dead-end page.
      if (!(error instanceof DomainError) || !error.code.startsWith("bot_check")) throw error;
      if (wantsJson) return c.json(signupBotCheckRefused(error.code, BOT_CHECK_FIELD, error.message), statusOf(error));
      return c.html(signupForm(c, { checkError: error.message, email: fields.email }), statusOf(error));
    }
    // Same answer for new, pending and known addresses: the endpoint never reveals who is subscribed.
    return accepted();
  });
