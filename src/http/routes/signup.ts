import { Hono } from "hono";
import type { Context } from "hono";
import { chooseRedirect } from "../embedded-signup.ts";
import { AppError, statusOf } from "../errors.ts";
import type { AppEnv } from "../env.ts";
import { pageCsp } from "../page-csp.ts";
import { signupAccepted, signupBotCheckRefused, signupRejected, signupsThrottled } from "../presenters/signup.ts";
import { servicesFor } from "../services.ts";
import { chooseCourse, parseBotToken, parseSignup } from "../signup-input.ts";
import type { SignupFormOptions } from "../views/pages.tsx";
import { cataloguePage, checkInboxPage, courseChoicePage, signupPage } from "../views/pages.tsx";
import { tooManyPage } from "../views/reader-pages.tsx";
import { BOT_CHECK_FIELD, signup } from "../../commands/signup.ts";
import type { Course } from "../../content/schema.ts";
import { DomainError, notFound } from "../../errors.ts";

/** A course's signup page, with the Turnstile widget (and the CSP that lets it load) when a site key is set. */
function signupForm(c: Context<AppEnv>, course: Course, options: SignupFormOptions = {}) {
  const siteKey = c.var.deps.turnstileSiteKey;
  if (siteKey) c.header("content-security-policy", pageCsp({ turnstile: true }));
  return signupPage(course, { ...options, turnstileSiteKey: siteKey });
}

/** The form with a course picker, for a post that named no course (or none known) where several exist. */
function courseChoiceForm(c: Context<AppEnv>, courseError: string, options: SignupFormOptions = {}) {
  const siteKey = c.var.deps.turnstileSiteKey;
  if (siteKey) c.header("content-security-policy", pageCsp({ turnstile: true }));
  return courseChoicePage(c.var.deps.catalogue.courses, courseError, { ...options, turnstileSiteKey: siteKey });
}

/** What was typed, to show again: never more than an address can be. */
function typed(raw: Record<string, unknown>, field: string, max: number): string {
  return typeof raw[field] === "string" ? String(raw[field]).slice(0, max) : "";
}

export const signupRoutes = new Hono<AppEnv>()
  // One course: its page is the front page. Several: a list of them, each linking to its own page.
  .get("/", (c) => {
    const { catalogue } = c.var.deps;
    return c.html(catalogue.only ? signupForm(c, catalogue.only) : cataloguePage(catalogue.courses));
  })
  .get("/courses/:slug", (c) => {
    const { catalogue } = c.var.deps;
    const slug = c.req.param("slug");
    const course = catalogue.get(slug);
    if (course) return c.html(signupForm(c, course));
    // A renamed course keeps its old address working, permanently moved to the new one.
    const renamed = catalogue.courses.find((candidate) => candidate.formerSlugs.includes(slug));
    if (renamed) return c.redirect(`/courses/${renamed.slug}`, 301);
    throw notFound("course_not_found", "There is no course at this address. The list of courses is on the front page.", "Course not found");
  })
  .post("/subscribe", async (c) => {
    const { deps } = c.var;
    const wantsJson = (c.req.header("content-type") ?? "").toLowerCase().startsWith("application/json");
    const raw = wantsJson ? await c.req.json().catch(() => null) : await c.req.parseBody().catch(() => null);
    if (raw === null) throw new AppError(400, "bad_body", "The request body could not be read.");
    const record = (typeof raw === "object" && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
    const kept = { email: typed(record, "email", 254), name: typed(record, "name", 100) };

    // The course first: it decides which form a refusal shows again. Never a silent default.
    const choice = chooseCourse(deps.catalogue, raw);
    if (!choice.ok) {
      if (wantsJson) return c.json(signupRejected(choice.field, choice.message, choice.code), 422);
      return c.html(courseChoiceForm(c, choice.readerMessage, kept), 422);
    }
    const { course } = choice;
    const parsed = parseSignup(raw);
    if (!parsed.ok) {
      if (wantsJson) return c.json(signupRejected(parsed.field, parsed.message), 422);
      return c.html(signupForm(c, course, { error: parsed.message, email: kept.email }), 422);
    }
    const { fields } = parsed;
    // A form embedded on one of ALLOWED_ORIGINS may ask to send the reader back to a page there.
    const redirect = wantsJson ? ({ kind: "none" } as const) : chooseRedirect(record.redirect, deps.allowedOrigins ?? []);
    const accepted = () => {
      if (wantsJson) return c.json(signupAccepted(course), 202);
      if (redirect.kind === "allowed") return c.redirect(redirect.url, 303);
      return c.html(checkInboxPage(course));
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
        course,
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
      return c.html(signupForm(c, course, { checkError: error.message, email: fields.email }), statusOf(error));
    }
    // Same answer for new, pending and known addresses: the endpoint never reveals who is subscribed.
    return accepted();
  });
