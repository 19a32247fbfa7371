import { parseHTML } from "linkedom";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app.ts";
import { parseConfig } from "../../src/config.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import { createLogger } from "../../src/log.ts";
import { appFor, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { ENGINES } from "../support/databases.ts";

/** The publisher's own site, listed in ALLOWED_ORIGINS; the form is embedded there. */
const SITE = "https://www.publisher.example";
const OTHER_SITE = "https://blog.publisher.example:8443";
const STRANGER = "https://evil.example";
const ADMIN = "admin-token-for-tests-0123456789";

let t: TestApp;
let app: ReturnType<typeof appFor>;
let logLines: string[];

function embeddingApp(overrides: Partial<AppDeps> = {}) {
  return appFor(t, { allowedOrigins: [SITE, OTHER_SITE], log: createLogger("info", (line) => logLines.push(line)), ...overrides });
}

/** A JSON signup as the script snippet sends it from a page on `origin`. */
function jsonFrom(origin: string, body: unknown): RequestInit {
  return { method: "POST", headers: { origin, "sec-fetch-site": "cross-site", "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body) };
}

/** A plain HTML form post as a browser sends it from a page on `origin`. */
function formFrom(origin: string, fields: Record<string, string>): RequestInit {
  return { method: "POST", headers: { origin, "sec-fetch-site": "cross-site", "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) };
}

function preflightFrom(origin: string): RequestInit {
  return { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } };
}

const subscribers = () => t.db.selectFrom("subscribers").selectAll().execute();
const corsHeaders = (res: Response) => [...res.headers.keys()].filter((name) => name.startsWith("access-control-"));

describe.each(ENGINES)("a signup form embedded on another site (%s)", (engine) => {
  beforeEach(async () => {
    t = await makeTestApp({ engine });
    logLines = [];
    app = embeddingApp();
  });
  afterEach(async () => {
    await t.close();
  });

  it("answers the CORS preflight of a listed origin with that exact origin, POST and content-type, and no credentials", async () => {
    const res = await app.request("/subscribe", preflightFrom(SITE));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(SITE);
    expect(res.headers.get("access-control-allow-methods")).toBe("POST");
    expect(res.headers.get("access-control-allow-headers")).toBe("content-type");
    expect(Number(res.headers.get("access-control-max-age"))).toBeGreaterThan(0);
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("vary")).toMatch(/\bOrigin\b/);
    const second = await app.request("/subscribe", preflightFrom(OTHER_SITE));
    expect(second.headers.get("access-control-allow-origin")).toBe(OTHER_SITE);
  });

  it("takes a JSON signup from a listed origin, with CORS headers the page's script can read", async () => {
    const res = await app.request("/subscribe", jsonFrom(SITE, { email: "reader@example.com", name: "Ann", timezone: "Europe/Paris" }));
    expect(res.status).toBe(202);
    expect(res.headers.get("access-control-allow-origin")).toBe(SITE);
    expect(res.headers.get("vary")).toMatch(/\bOrigin\b/);
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(await res.json()).toMatchObject({ status: "accepted", message: expect.stringContaining("Check your inbox") });
    const rows = await subscribers();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ email: "reader@example.com", name: "Ann", timezone: "Europe/Paris", status: "pending" });
    expect(t.dispatcher.sends).toHaveLength(1);
  });

  it("validates an embedded signup as before, and lets the page read why it was refused", async () => {
    const res = await app.request("/subscribe", jsonFrom(SITE, { email: "not-an-email" }));
    expect(res.status).toBe(422);
    expect(res.headers.get("access-control-allow-origin")).toBe(SITE);
    expect(await res.json()).toEqual({ error: { code: "invalid_input", field: "email", message: expect.stringContaining("email address") } });
    expect(await subscribers()).toEqual([]);
  });

  it("applies the signup limits to embedded signups, with Retry-After and CORS headers", async () => {
    const checked: (string | null)[] = [];
    const limited = embeddingApp({
      signupLimiter: {
        check: async (ip) => {
          checked.push(ip);
          return { allowed: false, retryAfterSeconds: 42 };
        },
        checkLinkRequest: async () => ({ allowed: true }),
        forget: async () => undefined,
      },
    });
    const json = await limited.request("/subscribe", jsonFrom(SITE, { email: "busy@example.com" }));
    expect(json.status).toBe(429);
    expect(json.headers.get("retry-after")).toBe("42");
    expect(json.headers.get("access-control-allow-origin")).toBe(SITE);
    const page = await limited.request("/subscribe", formFrom(SITE, { email: "busy@example.com", redirect: `${SITE}/thanks` }));
    expect(page.status).toBe(429);
    expect(page.headers.get("location")).toBeNull();
    expect(checked).toEqual(["203.0.113.7", "203.0.113.7"]);
    expect(await subscribers()).toEqual([]);
  });

  it("takes a plain form posted from a listed origin and answers with Lessonpost's own page", async () => {
    const res = await app.request("/subscribe", formFrom(SITE, { email: "form@example.com", name: "Bo" }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Check your inbox");
    expect(await subscribers()).toMatchObject([{ email: "form@example.com", name: "Bo", status: "pending" }]);
  });

  it("sends a form's reader back to a redirect on a listed origin with a 303", async () => {
    const res = await app.request("/subscribe", formFrom(SITE, { email: "back@example.com", redirect: `${OTHER_SITE}/thanks?from=form` }));
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${OTHER_SITE}/thanks?from=form`);
    expect(await subscribers()).toMatchObject([{ email: "back@example.com" }]);
  });

  it("never redirects off the listed origins: the reader still signs up and gets Lessonpost's page", async () => {
    const elsewhere = [`${STRANGER}/phish`, "javascript:alert(1)", "//evil.example/x", "/admin", `${SITE}.evil.example/`, `https://user:pw@${SITE.slice("https://".length)}/x`, "not a url"];
    for (const [i, redirect] of elsewhere.entries()) {
      const res = await app.request("/subscribe", formFrom(SITE, { email: `r${i}@example.com`, redirect }));
      expect(res.status, redirect).toBe(200);
      expect(res.headers.get("location"), redirect).toBeNull();
      expect(await res.text()).toContain("Check your inbox");
    }
    expect(await subscribers()).toHaveLength(elsewhere.length);
    expect(logLines.filter((line) => line.includes("signup redirect ignored"))).toHaveLength(elsewhere.length);
    expect(logLines.join("\n")).toContain('"redirectOrigin":"https://evil.example"');
  });

  it("redirects a bot that filled the honeypot exactly like a person, and stores nothing", async () => {
    const res = await app.request("/subscribe", formFrom(SITE, { email: "bot@example.com", website: "http://spam.example", redirect: `${SITE}/thanks` }));
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${SITE}/thanks`);
    expect(await subscribers()).toEqual([]);
  });

  it("refuses every other origin as before: 403 cross_site_form, no CORS headers, nothing stored", async () => {
    const strangers = [STRANGER, "http://www.publisher.example", "https://www.publisher.example:444", "https://publisher.example", "null"];
    for (const origin of strangers) {
      const preflight = await app.request("/subscribe", preflightFrom(origin));
      expect(preflight.status, origin).toBe(403);
      expect(corsHeaders(preflight), origin).toEqual([]);

      const json = await app.request("/subscribe", jsonFrom(origin, { email: "csrf@example.com" }));
      expect(json.status, origin).toBe(403);
      expect(corsHeaders(json), origin).toEqual([]);
      expect(await json.json()).toMatchObject({ error: { code: "cross_site_form" } });

      const page = await app.request("/subscribe", formFrom(origin, { email: "csrf@example.com", redirect: `${SITE}/thanks` }));
      expect(page.status, origin).toBe(403);
      expect(page.headers.get("location")).toBeNull();
      expect(corsHeaders(page), origin).toEqual([]);
      expect(await page.text()).toContain("sent from another site");
    }
    expect(await subscribers()).toEqual([]);
  });

  it("takes the form from our own signup page, whose no-referrer policy makes the browser say Origin: null", async () => {
    // What Chromium sends for the form on GET /: Origin null, and Sec-Fetch-Site same-origin.
    const init = formFrom("null", { email: "own-page@example.com" });
    const ownPage = await app.request("/subscribe", { ...init, headers: { ...(init.headers as Record<string, string>), "sec-fetch-site": "same-origin" } });
    expect(ownPage.status).toBe(200);
    expect(await ownPage.text()).toContain("Check your inbox");
    // The same null Origin from a page on another site (a sandboxed frame, say) is still refused.
    const elsewhere = await app.request("/subscribe", { ...init, headers: { ...(init.headers as Record<string, string>), "sec-fetch-site": "cross-site" } });
    expect(elsewhere.status).toBe(403);
    expect(await subscribers()).toMatchObject([{ email: "own-page@example.com" }]);
  });

  it("lets a listed origin post the signup only: every other form is still refused from it", async () => {
    const confirm = await app.request("/confirm/some-token", formFrom(SITE, {}));
    expect(confirm.status).toBe(403);
    const unsubscribe = await app.request("/unsubscribe/some-token", formFrom(SITE, {}));
    expect(unsubscribe.status).toBe(403);
    const preflight = await app.request("/preferences/some-token/pause", preflightFrom(SITE));
    expect(corsHeaders(preflight)).toEqual([]);
  });

  it("with no ALLOWED_ORIGINS, refuses the publisher's site too, and still serves API clients that send no Origin", async () => {
    const closed = appFor(t);
    expect((await closed.request("/subscribe", preflightFrom(SITE))).status).toBe(403);
    expect((await closed.request("/subscribe", formFrom(SITE, { email: "a@example.com" }))).status).toBe(403);
    const api = await closed.request("/subscribe", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "api@example.com" }) });
    expect(api.status).toBe(202);
    expect(corsHeaders(api)).toEqual([]);
    expect(await subscribers()).toMatchObject([{ email: "api@example.com" }]);
  });
});

describe("the embed snippets on the admin course page", () => {
  beforeEach(async () => {
    t = await makeTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  const coursePage = async (overrides: Partial<AppDeps>) => {
    const res = await appFor(t, { adminToken: ADMIN, ...overrides }).request("/admin/course", { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    return parseHTML(await res.text()).document;
  };

  it("shows an HTML form and a script version, escaped, both posting to APP_URL", async () => {
    const page = await coursePage({ allowedOrigins: [SITE] });
    const formCode = page.querySelector('pre code[data-snippet="form"]');
    const scriptCode = page.querySelector('pre code[data-snippet="script"]');
    // Shown as text, not rendered: the page holds no second form posting to /subscribe.
    expect(page.querySelectorAll('form[action$="/subscribe"]')).toHaveLength(0);
    expect(formCode?.textContent).toContain("<form");
    expect(page.querySelector('[data-origin]')?.textContent).toBe(SITE);

    const snippet = parseHTML(`<!doctype html><html><body>${formCode!.textContent}</body></html>`).document;
    const form = snippet.querySelector("form")!;
    expect(form.getAttribute("method")).toBe("post");
    expect(form.getAttribute("action")).toBe("https://lessons.example.test/subscribe");
    expect([...form.querySelectorAll("input")].map((input) => input.getAttribute("name"))).toEqual(["course", "email", "name", "website"]);
    // The course rides along, so the pasted form still signs readers up for it once there are several.
    expect(form.querySelector('input[name="course"]')?.getAttribute("type")).toBe("hidden");
    expect(form.querySelector('input[name="course"]')?.getAttribute("value")).toBe(t.course.slug);
    expect(form.querySelector('input[name="email"]')?.hasAttribute("required")).toBe(true);
    expect(formCode!.textContent).toContain(`name="redirect" value="${SITE}/thanks"`);

    const withScript = parseHTML(`<!doctype html><html><body>${scriptCode!.textContent}</body></html>`).document;
    expect(withScript.querySelector("form")?.getAttribute("action")).toBe("https://lessons.example.test/subscribe");
    expect(withScript.querySelector('input[name="course"]')?.getAttribute("value")).toBe(t.course.slug);
    expect(withScript.querySelector('[aria-live="polite"]')).not.toBeNull();
    const script = withScript.querySelector("script")?.textContent ?? "";
    expect(script).toContain("fetch(form.action");
    expect(script).toContain('"content-type": "application/json"');
    expect(script).toContain("answer.textContent");
    // The script must at least be valid JavaScript.
    expect(() => new Function(script)).not.toThrow();
  });

  it("says that no other site may post the form while ALLOWED_ORIGINS is empty", async () => {
    const page = await coursePage({});
    expect(page.querySelector("[data-no-origins]")?.textContent).toContain("ALLOWED_ORIGINS");
    expect(page.querySelector('pre code[data-snippet="form"]')?.textContent).toContain('action="https://lessons.example.test/subscribe"');
  });
});

describe("the embedded form in an install with several courses", () => {
  beforeEach(async () => {
    t = await makeTestApp();
    logLines = [];
    app = embeddingApp({ catalogue: await loadCatalogue("test/fixtures/content/two-courses"), adminToken: ADMIN });
  });
  afterEach(async () => {
    await t.close();
  });

  it("signs readers up for the course its snippet names, and tells a page that names none which field is missing", async () => {
    const admin = parseHTML(await (await app.request("/admin/course", { headers: { authorization: `Bearer ${ADMIN}` } })).text()).document;
    const snippet = parseHTML(`<!doctype html><html><body>${admin.querySelector('pre code[data-snippet="form"]')!.textContent}</body></html>`).document;
    const slug = snippet.querySelector('input[name="course"]')?.getAttribute("value");
    expect(["evening-review", "morning-pages"]).toContain(slug);

    const res = await app.request("/subscribe", formFrom(SITE, { course: slug!, email: "site@example.com" }));
    expect(res.status).toBe(200);
    expect(await t.db.selectFrom("enrollments").select(["course_slug", "status"]).execute()).toEqual([{ course_slug: slug, status: "pending" }]);

    const missing = await app.request("/subscribe", jsonFrom(SITE, { email: "other@example.com" }));
    expect(missing.status).toBe(422);
    expect(missing.headers.get("access-control-allow-origin")).toBe(SITE);
    expect(await missing.json()).toMatchObject({ error: { code: "course_required", field: "course" } });
  });
});

describe("ALLOWED_ORIGINS", () => {
  it("is empty by default and when blank", () => {
    expect(parseConfig({}).ALLOWED_ORIGINS).toEqual([]);
    expect(parseConfig({ ALLOWED_ORIGINS: " , " }).ALLOWED_ORIGINS).toEqual([]);
  });

  it("takes comma-separated origins and writes them as browsers send them", () => {
    const { ALLOWED_ORIGINS } = parseConfig({ ALLOWED_ORIGINS: "https://WWW.Example.com/, http://localhost:8080 ,https://example.com:443,https://www.example.com" });
    expect(ALLOWED_ORIGINS).toEqual(["https://www.example.com", "http://localhost:8080", "https://example.com"]);
  });

  it.each(["*", "www.example.com", "ftp://example.com", "https://example.com/signup", "https://example.com/?x=1", "https://user:pw@example.com", "https://example.com#top"])(
    "stops start-up on %s, naming the variable",
    (value) => {
      expect(() => parseConfig({ ALLOWED_ORIGINS: `https://ok.example, ${value}` })).toThrow(/ALLOWED_ORIGINS: /);
    },
  );
});
