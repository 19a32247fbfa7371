import { Hono } from "hono";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import { timingSafeEqual } from "hono/utils/buffer";
import { AppError } from "../../errors.ts";
import type { AppDeps, AppEnv } from "../../env.ts";
import { memoryLoginLimiter } from "../../../limits/login-limits.ts";
import type { LoginLimiter } from "../../../limits/login-limits.ts";
import { toBase64, verifyAdminPassword } from "../../../commands/admin-password.ts";
import { API_SCOPES, authenticateApiKey, looksLikeApiKey } from "../../../commands/api-keys.ts";
import { loginPage } from "../../views/admin/login.tsx";
import { adminSessionValid, closeAdminSession, closeAllAdminSessions, openAdminSession } from "../../../store/admin-sessions.ts";

/**
 * One admin, two ways in. Scripts send `Authorization: Bearer <ADMIN_TOKEN>` (the owner's key, every
 * scope) or an API key (`lp_…`, its own scopes, /admin/api only; see src/http/api-scopes.ts); people log in
 * once with the token or the password and get a session cookie. Everything here is Web Crypto, so the
 * same code runs on Node and on Cloudflare Workers.
 */

export const SESSION_MS = 12 * 60 * 60 * 1000;
const COOKIE = "lessonpost_admin";
const COOKIE_PATH = "/admin";
/** Slows every wrong guess a little; the per-address limit is what bounds a brute force. */
const FAILURE_DELAY_MS = 300;
const MAX_SECRET_LENGTH = 1024;

const SAFE_METHOD = /^(GET|HEAD|OPTIONS)$/;
/** Open without a session: the login form itself, and logout (which only ever clears the cookie). */
const PUBLIC_PATHS = new Set(["/admin/login", "/admin/logout"]);

// ---- sessions --------------------------------------------------------------------------------

export function adminConfigured(deps: AppDeps): boolean {
  return Boolean(deps.adminToken || deps.adminPasswordHash);
}

function secureCookies(deps: AppDeps): boolean {
  return new URL(deps.appUrl).protocol === "https:";
}

/**
 * The cookie's signing key. It folds in the admin credentials, so changing ADMIN_TOKEN or
 * ADMIN_PASSWORD_HASH ends every session that was opened with the old ones.
 */
async function sessionKey(deps: AppDeps): Promise<string> {
  const material = new TextEncoder().encode(`${deps.adminToken ?? ""}\n${deps.adminPasswordHash ?? ""}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", material));
  return `lessonpost-admin-session\n${deps.secretKey}\n${toBase64(digest)}`;
}

const COOKIE_VALUE = /^v2:([A-Za-z0-9_-]{43})$/;

/** The session secret of the request's cookie, when it carries one we signed. */
async function sessionSecret(c: Context<AppEnv>): Promise<string | undefined> {
  const deps = c.var.deps;
  const value = await getSignedCookie(c, await sessionKey(deps), COOKIE, secureCookies(deps) ? "secure" : undefined);
  return value ? COOKIE_VALUE.exec(value)?.[1] : undefined;
}

/**
 * True when the request carries a session cookie we signed whose session is still in the
 * database and has not expired: logging out deletes the row, so a saved copy of the cookie is dead.
 */
export async function hasSession(c: Context<AppEnv>): Promise<boolean> {
  const secret = await sessionSecret(c);
  return secret !== undefined && (await adminSessionValid(c.var.deps.db, secret, c.var.now));
}

async function startSession(c: Context<AppEnv>): Promise<void> {
  const { deps, now } = c.var;
  const secure = secureCookies(deps);
  const secret = toBase64(crypto.getRandomValues(new Uint8Array(32))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  await openAdminSession(deps.db, secret, now, now + SESSION_MS);
  await setSignedCookie(c, COOKIE, `v2:${secret}`, await sessionKey(deps), {
    httpOnly: true,
    sameSite: "Strict",
    path: COOKIE_PATH,
    maxAge: SESSION_MS / 1000,
    ...(secure ? { secure: true, prefix: "secure" as const } : {}),
  });
}

function clearCookie(c: Context<AppEnv>): void {
  const secure = secureCookies(c.var.deps);
  deleteCookie(c, COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: "Strict", ...(secure ? { secure: true, prefix: "secure" as const } : {}) });
}

async function endSession(c: Context<AppEnv>): Promise<void> {
  const secret = await sessionSecret(c);
  if (secret) await closeAdminSession(c.var.deps.db, secret);
  clearCookie(c);
}

// ---- the lockout -----------------------------------------------------------------------------

// Per app instance (keyed by its deps), so two apps in one process never share counts.
const fallbackLimiters = new WeakMap<AppDeps, LoginLimiter>();

function limiterFor(deps: AppDeps): LoginLimiter {
  if (deps.loginLimiter) return deps.loginLimiter;
  let limiter = fallbackLimiters.get(deps);
  if (!limiter) fallbackLimiters.set(deps, (limiter = memoryLoginLimiter(deps.now ?? Date.now)));
  return limiter;
}

/** The client's address, hashed: the lockout's keys never hold an address. */
async function clientKey(c: Context<AppEnv>): Promise<string> {
  const ip = c.var.deps.clientIp?.(c) ?? "unknown";
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`lessonpost-admin-client\n${ip}`)));
  return toBase64(digest.slice(0, 18)).replace(/\+/g, "-").replace(/\//g, "_");
}

type Attempt = { allowed: true; settle(ok: boolean): Promise<void> } | { allowed: false; retryAfterSeconds: number };

/**
 * Claims the attempt before the secret is looked at; `settle` gives the claim back when the secret
 * was right, and slows a wrong one a little (the limit is what bounds a brute force).
 */
async function claimAttempt(c: Context<AppEnv>): Promise<Attempt> {
  const limiter = limiterFor(c.var.deps);
  const key = await clientKey(c);
  const verdict = await limiter.claim(key);
  if (!verdict.allowed) return verdict;
  return {
    allowed: true,
    async settle(ok) {
      if (ok) await limiter.refund(key);
      else await new Promise((resolve) => setTimeout(resolve, FAILURE_DELAY_MS));
    },
  };
}

function lockedMessage(retryAfterSeconds: number): string {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return `Too many wrong attempts. Try again in ${minutes} minute${minutes > 1 ? "s" : ""}.`;
}

async function secretMatches(deps: AppDeps, secret: string): Promise<boolean> {
  if (!secret || secret.length > MAX_SECRET_LENGTH) return false;
  // Both checks always run, so the time taken does not say which kind of secret was close.
  const [token, password] = await Promise.all([
    deps.adminToken ? timingSafeEqual(deps.adminToken, secret) : Promise.resolve(false),
    deps.adminPasswordHash ? verifyAdminPassword(secret, deps.adminPasswordHash) : Promise.resolve(false),
  ]);
  return token || password;
}

// ---- the gate --------------------------------------------------------------------------------

/** Where to go after logging in: only a path inside the console, never another site. */
export function safeNext(value: unknown): string {
  if (typeof value !== "string" || value.length > 2000) return "/admin";
  if (!/^\/admin(?:[/?#]|$)/.test(value) || value.includes("//") || value.includes("\\") || /^\/admin\/log(?:in|out)/.test(value)) return "/admin";
  return value;
}

function sameOrigin(c: Context<AppEnv>): boolean {
  const origin = c.req.header("origin");
  if (origin && origin !== "null" && (origin === new URL(c.var.deps.appUrl).origin || origin === new URL(c.req.url).origin)) return true;
  return c.req.header("sec-fetch-site") === "same-origin";
}

function crossSite(): AppError {
  return new AppError(403, "cross_site_form", "This request did not come from the admin console, so it was not accepted. Go back to the page and try again.", "Not accepted");
}

function isApi(path: string): boolean {
  return path === "/admin/api" || path.startsWith("/admin/api/");
}

function tooManyAttempts(c: Context<AppEnv>, retryAfterSeconds: number) {
  c.header("Retry-After", String(retryAfterSeconds));
  if (isApi(c.req.path)) return c.json({ error: { code: "too_many_attempts", message: lockedMessage(retryAfterSeconds) } }, 429);
  throw new AppError(429, "too_many_attempts", lockedMessage(retryAfterSeconds), "Too many attempts");
}

function unauthorized(c: Context<AppEnv>, message: string) {
  c.header("WWW-Authenticate", 'Bearer realm="lessonpost-admin"');
  if (isApi(c.req.path)) return c.json({ error: { code: "unauthorized", message } }, 401);
  throw new AppError(401, "unauthorized", message, "Log in first");
}

/**
 * Every /admin request passes here first. A bearer token (scripts, the CLI) needs nothing else:
 * browsers never attach one on their own. A session cookie does come along on its own, so any
 * state-changing request made with one must also prove it came from our pages (Origin or
 * Sec-Fetch-Site), whatever its content type; that covers the JSON API and bull-board too.
 */
export const adminGate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const deps = c.var.deps;
  if (!adminConfigured(deps)) throw new AppError(404, "not_found", "There is nothing at this address.", "Page not found");
  const path = c.req.path;
  const unsafe = !SAFE_METHOD.test(c.req.method);

  const authorization = c.req.header("authorization");
  if (authorization !== undefined) {
    // A bearer token is a guess like any login: it counts toward the same lockout, API keys included.
    const attempt = await claimAttempt(c);
    if (!attempt.allowed) return tooManyAttempts(c, attempt.retryAfterSeconds);
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    const owner = Boolean(token && deps.adminToken && token.length <= MAX_SECRET_LENGTH && (await timingSafeEqual(deps.adminToken, token)));
    if (owner) {
      await attempt.settle(true);
      c.set("adminScopes", API_SCOPES);
      return next();
    }
    // An API key opens the JSON API only, with its own scopes; the console stays the owner's.
    const key = token && isApi(path) && looksLikeApiKey(token) ? await authenticateApiKey({ db: deps.db, now: () => c.var.now }, token) : undefined;
    await attempt.settle(key?.ok === true);
    if (key?.ok) {
      c.set("adminScopes", key.scopes);
      return next();
    }
    deps.log.warn(key?.reason === "revoked" ? "revoked api key refused" : "admin bearer token refused");
    if (key?.reason === "revoked") return unauthorized(c, "This API key has been revoked.");
    if (token && !isApi(path) && looksLikeApiKey(token)) return unauthorized(c, "API keys open /admin/api only. The console takes ADMIN_TOKEN, the password or a session.");
    return unauthorized(c, "That bearer token is not valid.");
  }

  if (PUBLIC_PATHS.has(path)) {
    if (unsafe && !sameOrigin(c)) throw crossSite();
    return next();
  }

  if (!(await hasSession(c))) {
    const wantsPage = !isApi(path) && (c.req.header("accept") ?? "").includes("text/html");
    if (wantsPage) {
      const url = new URL(c.req.url);
      const next = SAFE_METHOD.test(c.req.method) ? safeNext(url.pathname + url.search) : "/admin";
      return c.redirect(`/admin/login?next=${encodeURIComponent(next)}`, 302);
    }
    return unauthorized(c, isApi(path) ? "Send Authorization: Bearer <ADMIN_TOKEN> or an API key." : "Log in at /admin/login, or send Authorization: Bearer <ADMIN_TOKEN>.");
  }
  if (unsafe && !sameOrigin(c)) throw crossSite();
  // A console session is the owner's: every scope.
  c.set("adminScopes", API_SCOPES);
  return next();
};

// ---- login and logout ------------------------------------------------------------------------

export const authRoutes = new Hono<AppEnv>()
  .get("/login", async (c) => {
    const next = safeNext(c.req.query("next"));
    // SameSite=Strict keeps the cookie off a link followed from elsewhere; once here it is sent.
    if (await hasSession(c)) return c.redirect(next, 303);
    const deps = c.var.deps;
    return c.html(loginPage({ next, passwordEnabled: Boolean(deps.adminPasswordHash), tokenEnabled: Boolean(deps.adminToken) }));
  })
  .post("/login", async (c) => {
    const deps = c.var.deps;
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const next = safeNext(body.next);
    const page = (error: string, status: 401 | 429) =>
      c.html(loginPage({ next, error, passwordEnabled: Boolean(deps.adminPasswordHash), tokenEnabled: Boolean(deps.adminToken) }), status);

    const attempt = await claimAttempt(c);
    if (!attempt.allowed) {
      c.header("Retry-After", String(attempt.retryAfterSeconds));
      return page(lockedMessage(attempt.retryAfterSeconds), 429);
    }
    const secret = typeof body.secret === "string" ? body.secret : "";
    const ok = await secretMatches(deps, secret);
    await attempt.settle(ok);
    if (!ok) {
      deps.log.warn("admin login refused");
      return page("That is not the admin token or password.", 401);
    }
    await startSession(c);
    deps.log.info("admin logged in");
    return c.redirect(next, 303);
  })
  .post("/logout", async (c) => {
    await endSession(c);
    return c.redirect("/admin/login", 303);
  })
  // Behind the gate (a session or the bearer token), unlike /logout: it ends other people's sessions.
  .post("/logout-everywhere", async (c) => {
    const ended = await closeAllAdminSessions(c.var.deps.db);
    clearCookie(c);
    c.var.deps.log.info("admin logged out everywhere", { sessions: ended });
    return c.redirect("/admin/login", 303);
  });
