import { parseHTML } from "linkedom";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appFor, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { expectSoundPage } from "../http/views/page-checks.ts";

/** The console's API keys page: list, create (the key shown on that one answer), revoke. */

const ADMIN = "admin-token-for-tests-0123456789";
const ORIGIN = "http://localhost";

describe("API keys in the console", () => {
  let t: TestApp;
  let app: ReturnType<typeof appFor>;
  let cookie = "";

  const page = async (response: Response) => parseHTML(await response.text()).document;
  const submit = (path: string, body: URLSearchParams) =>
    app.request(path, { method: "POST", headers: { cookie, origin: ORIGIN, "content-type": "application/x-www-form-urlencoded", accept: "text/html" }, body });

  beforeEach(async () => {
    t = await makeTestApp();
    app = appFor(t, { adminToken: ADMIN });
    const login = await app.request("/admin/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN }, body: new URLSearchParams({ secret: ADMIN }) });
    cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  });
  afterEach(async () => {
    await t.close();
  });

  it("creates a key with the scopes ticked and shows it once; the list then shows only its first characters", async () => {
    const created = await submit("/admin/keys", new URLSearchParams([["name", "CRM sync"], ["scopes", "read"], ["scopes", "readers:write"]]));
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    const doc = await page(created);
    expectSoundPage(doc, ["app.css", "admin.css"]);
    const key = doc.getElementById("new-key-value")?.getAttribute("value") ?? "";
    expect(key).toMatch(/^lp_[A-Za-z0-9_-]{43}$/);

    // The key works on the API with exactly its scopes.
    expect((await app.request("/admin/api/subscribers", { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await app.request("/admin/api/sends/retry-failed", { method: "POST", headers: { authorization: `Bearer ${key}` } })).status).toBe(403);

    const listed = await app.request("/admin/keys", { headers: { cookie, accept: "text/html" } });
    const text = await listed.text();
    expect(text).not.toContain(key);
    const row = parseHTML(text).document.querySelector("tr[data-key]")!;
    expect([...row.querySelectorAll("td")].slice(0, 3).map((td) => td.textContent)).toEqual(["CRM sync", `${key.slice(0, 7)}…`, "read, readers:write"]);
    expect(parseHTML(text).document.querySelector('nav[aria-label="Admin"] a[aria-current="page"]')?.textContent).toBe("API keys");
  });

  it("keeps the form as filled and says what is missing when a key cannot be made", async () => {
    const refused = await submit("/admin/keys", new URLSearchParams([["name", "No scopes"]]));
    expect(refused.status).toBe(422);
    const doc = await page(refused);
    expect(doc.querySelector('[role="alert"]')?.textContent).toContain("at least one scope");
    expect(doc.getElementById("k-name")?.getAttribute("value")).toBe("No scopes");
    expect(await t.db.selectFrom("api_keys").select("id").execute()).toEqual([]);
  });

  it("revokes a key from its row; the API refuses it from then on", async () => {
    const created = await page(await submit("/admin/keys", new URLSearchParams([["name", "Old"], ["scopes", "read"]])));
    const key = created.getElementById("new-key-value")!.getAttribute("value")!;
    const action = created.querySelector("tr[data-key] form")!.getAttribute("action")!;
    const revoked = await submit(action, new URLSearchParams());
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get("location")).toBe("/admin/keys?notice=revoked");
    expect((await app.request("/admin/api/subscribers", { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    const listed = await page(await app.request("/admin/keys?notice=revoked", { headers: { cookie, accept: "text/html" } }));
    expect(listed.querySelector("tr[data-key] td:last-child")?.textContent).toMatch(/^Revoked /);
    expect(listed.querySelector("tr[data-key] form")).toBeNull();
  });

  it("refuses a cross-site form and an API key on the page: the console is the owner's", async () => {
    const crossSite = await app.request("/admin/keys", { method: "POST", headers: { cookie, origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" }, body: "name=x&scopes=admin" });
    expect(crossSite.status).toBe(403);
    const created = await page(await submit("/admin/keys", new URLSearchParams([["name", "All"], ["scopes", "admin"]])));
    const key = created.getElementById("new-key-value")!.getAttribute("value")!;
    expect((await app.request("/admin/keys", { headers: { authorization: `Bearer ${key}`, accept: "text/html" } })).status).toBe(401);
    expect(await t.db.selectFrom("api_keys").select("name").execute()).toEqual([{ name: "All" }]);
  });
});
