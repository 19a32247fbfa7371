import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_OPERATIONS, apiKeyBody, enrollmentBody, failedSendsQuery } from "../../src/http/api-schemas.ts";
import { ROUTE_SCOPES } from "../../src/http/api-scopes.ts";
import type { OpenApiDocument } from "../../src/http/openapi.ts";
import { appFor, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";

/**
 * The OpenAPI document of /admin/api: valid OpenAPI 3.1 to a third-party validator, one entry
 * for every mounted route (found by asking the app, so a route added tomorrow fails here until
 * it is documented), built from the schemas the routes validate with, and true to what the
 * routes answer. Plus the reference page that renders it.
 */

const ADMIN = "admin-token-for-tests-0123456789";
const auth = { authorization: `Bearer ${ADMIN}` };

describe("the admin API's OpenAPI document", () => {
  let t: TestApp;
  let app: ReturnType<typeof appFor>;
  let doc: OpenApiDocument;

  const call = (method: string, path: string, body?: unknown, contentType = "application/json") =>
    app.request(path, { method, headers: { ...auth, ...(body === undefined ? {} : { "content-type": contentType }) }, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });

  /** Every mounted /admin/api route as `METHOD path`, as test/routes/api-scopes.test.ts finds them. */
  function mountedRoutes(): string[] {
    return [...new Set(app.routes.filter((r) => r.method !== "ALL" && r.path.startsWith("/admin/api/")).map((r) => `${r.method} ${r.path}`))];
  }
  const documented = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`));

  beforeAll(async () => {
    t = await makeTestApp();
    // A loopback target, so registering needs no DNS; nothing is delivered here (no worker runs).
    app = appFor(t, { adminToken: ADMIN, webhooksAllowPrivateTargets: true, queueStats: async () => ({ waiting: 0, active: 0, delayed: 0, failed: 0 }) });
    const response = await call("GET", "/admin/api/openapi.json");
    expect(response.status).toBe(200);
    doc = (await response.json()) as OpenApiDocument;
  });
  afterAll(async () => {
    await t.close();
  });

  it("is a valid OpenAPI 3.1 document to a third-party validator", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors ?? [], "validator errors").toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("documents every mounted /admin/api route, and no route that is not mounted", () => {
    const mounted = mountedRoutes();
    expect(mounted.length).toBeGreaterThan(25);
    expect(mounted.filter((r) => !documented().includes(r)), "mounted routes missing from the document").toEqual([]);
    expect(documented().filter((r) => !mounted.includes(r)), "documented routes that are not mounted").toEqual([]);
  });

  it("gives every operation a summary, its scope from the scope table, a bearer requirement, its path parameters and the error shape", () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const key = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`;
        expect(op.summary, key).toMatch(/\w/);
        expect(op["x-scope"], key).toBe(ROUTE_SCOPES[key]);
        expect(op.security, key).toEqual([{ bearerAuth: [ROUTE_SCOPES[key]] }]);
        const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name);
        expect(
          (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name),
          key,
        ).toEqual(pathParams);
        for (const status of ["401", "403"]) expect(op.responses[status]?.content?.["application/json"]?.schema, `${key} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
        expect(Object.keys(op.responses).some((s) => s.startsWith("2")), key).toBe(true);
      }
    }
    expect(doc.components.schemas.Error).toMatchObject({ type: "object", required: ["error"], properties: { error: { required: ["code", "message"] } } });
  });

  it("documents a route with the very schema it validates with: fields the schema requires are required, and the route refuses them missing", async () => {
    expect(API_OPERATIONS["POST /admin/api/enrollments"]!.body!.schema).toBe(enrollmentBody);
    expect(API_OPERATIONS["POST /admin/api/keys"]!.body!.schema).toBe(apiKeyBody);
    expect(API_OPERATIONS["GET /admin/api/sends/failed"]!.query).toBe(failedSendsQuery);

    const enroll = doc.paths["/admin/api/enrollments"]!.post!.requestBody!.content["application/json"]!.schema;
    expect(enroll.required).toEqual(["email", "consentSource"]);
    const refused = await call("POST", "/admin/api/enrollments", { email: "ann@example.com" });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toEqual({ error: { code: "bad_enrollment", message: expect.stringContaining("consentSource") } });

    const key = doc.paths["/admin/api/keys"]!.post!.requestBody!.content["application/json"]!.schema;
    expect(key.required).toEqual(["name", "scopes"]);
    const noScopes = await call("POST", "/admin/api/keys", { name: "CRM" });
    expect(noScopes.status).toBe(422);
    expect(((await noScopes.json()) as { error: { code: string } }).error.code).toBe("bad_api_key");

    const limit = doc.paths["/admin/api/sends/failed"]!.get!.parameters!.find((p) => p.name === "limit")!;
    expect(limit).toMatchObject({ in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 500, default: 50 } });
    for (const bad of ["501", "0", "ten", "2.5"]) {
      const response = await call("GET", `/admin/api/sends/failed?limit=${bad}`);
      expect(response.status, bad).toBe(400);
      expect(await response.json(), bad).toEqual({ error: { code: "bad_limit", message: "limit must be a whole number from 1 to 500." } });
    }
    expect((await call("GET", "/admin/api/sends/failed?limit=500")).status).toBe(200);
  });

  it("describes what the routes really answer: each answer checked against its documented schema", async () => {
    const checked = new Set<string>();
    async function expectDocumented(key: string, response: Response): Promise<Record<string, unknown>> {
      const op = API_OPERATIONS[key]!;
      const body = (await response.json()) as Record<string, unknown>;
      expect(response.status, `${key}: ${JSON.stringify(body)}`).toBe(op.ok.status);
      const parsed = op.ok.schema!.safeParse(body);
      expect(parsed.success ? [] : parsed.error.issues, `${key} answered ${JSON.stringify(body)}`).toEqual([]);
      checked.add(key);
      return body;
    }

    await expectDocumented("GET /admin/api/openapi.json", await call("GET", "/admin/api/openapi.json"));
    const enrolled = await expectDocumented(
      "POST /admin/api/enrollments",
      await call("POST", "/admin/api/enrollments", { email: "ann@example.com", name: "Ann", consentSource: "Ticked the box at checkout" }),
    );
    const reader = String(enrolled.subscriberId);
    const enrollment = (enrolled.enrollment as { id: string }).id;
    await expectDocumented("GET /admin/api/stats", await call("GET", "/admin/api/stats"));
    await expectDocumented("GET /admin/api/subscribers", await call("GET", "/admin/api/subscribers?limit=10"));
    await expectDocumented("GET /admin/api/subscribers/:id", await call("GET", `/admin/api/subscribers/${reader}`));
    await expectDocumented("GET /admin/api/subscribers/:id/export", await call("GET", `/admin/api/subscribers/${reader}/export`));
    await expectDocumented("POST /admin/api/subscribers/:id/pause", await call("POST", `/admin/api/subscribers/${reader}/pause`, {}));
    await expectDocumented("POST /admin/api/subscribers/:id/resume", await call("POST", `/admin/api/subscribers/${reader}/resume`, {}));
    await expectDocumented("POST /admin/api/subscribers/:id/move", await call("POST", `/admin/api/subscribers/${reader}/move`, { lesson: 2 }));
    await expectDocumented("POST /admin/api/subscribers/:id/send-lesson", await call("POST", `/admin/api/subscribers/${reader}/send-lesson`, { lesson: 1 }));
    await expectDocumented("POST /admin/api/enrollments/:id/pause", await call("POST", `/admin/api/enrollments/${enrollment}/pause`));
    await expectDocumented("POST /admin/api/enrollments/:id/resume", await call("POST", `/admin/api/enrollments/${enrollment}/resume`));
    await expectDocumented("GET /admin/api/sends/failed", await call("GET", "/admin/api/sends/failed"));
    const retry = await expectDocumented("POST /admin/api/sends/retry-failed", await call("POST", "/admin/api/sends/retry-failed"));
    await expectDocumented("GET /admin/api/sends/retry-progress", await call("GET", String(retry.progress)));
    await expectDocumented("POST /admin/api/course/pause", await call("POST", "/admin/api/course/pause"));
    await expectDocumented("POST /admin/api/course/resume", await call("POST", "/admin/api/course/resume"));
    const newsletter = await expectDocumented("POST /admin/api/newsletters", await call("POST", "/admin/api/newsletters", { subject: "Between lessons", markdown: "Hello." }));
    await expectDocumented("POST /admin/api/broadcasts", await call("POST", "/admin/api/broadcasts", { subject: "Saved for later", markdown: "Hi.", draft: true }));
    await expectDocumented("GET /admin/api/broadcasts/:id", await call("GET", String(newsletter.progress)));
    await expectDocumented("POST /admin/api/import", await call("POST", "/admin/api/import?source=Old%20list%20export", "email,name\nbob@example.com,Bob\nnot-an-address,X\n", "text/csv"));
    await expectDocumented("GET /admin/api/courses/:slug/analytics", await call("GET", `/admin/api/courses/${t.course.slug}/analytics`));
    await expectDocumented("GET /admin/api/sending", await call("GET", "/admin/api/sending"));
    const key = await expectDocumented("POST /admin/api/keys", await call("POST", "/admin/api/keys", { name: "CRM", scopes: ["read"] }));
    await expectDocumented("GET /admin/api/keys", await call("GET", "/admin/api/keys"));
    await expectDocumented("DELETE /admin/api/keys/:id", await call("DELETE", `/admin/api/keys/${String(key.id)}`));
    await expectDocumented("DELETE /admin/api/sessions", await call("DELETE", "/admin/api/sessions"));
    const hook = await expectDocumented("POST /admin/api/webhooks", await call("POST", "/admin/api/webhooks", { url: "http://127.0.0.1:9/hooks", events: ["lesson.sent", "course.completed"] }));
    const hookId = String(hook.id);
    await expectDocumented("GET /admin/api/webhooks", await call("GET", "/admin/api/webhooks"));
    await expectDocumented("GET /admin/api/webhooks/:id", await call("GET", `/admin/api/webhooks/${hookId}`));
    await expectDocumented("PATCH /admin/api/webhooks/:id", await call("PATCH", `/admin/api/webhooks/${hookId}`, { events: ["lesson.sent"] }));
    const test = await expectDocumented("POST /admin/api/webhooks/:id/test", await call("POST", `/admin/api/webhooks/${hookId}/test`));
    await expectDocumented("GET /admin/api/webhooks/:id/deliveries", await call("GET", `/admin/api/webhooks/${hookId}/deliveries?limit=5`));
    await expectDocumented("GET /admin/api/webhooks/deliveries", await call("GET", "/admin/api/webhooks/deliveries"));
    await expectDocumented("POST /admin/api/webhooks/deliveries/:id/replay", await call("POST", `/admin/api/webhooks/deliveries/${String(test.deliveryId)}/replay`));
    await expectDocumented("DELETE /admin/api/webhooks/:id", await call("DELETE", `/admin/api/webhooks/${hookId}`));
    await expectDocumented("POST /admin/api/subscribers/:id/unsubscribe", await call("POST", `/admin/api/subscribers/${reader}/unsubscribe`, {}));
    await expectDocumented("DELETE /admin/api/subscribers/:id", await call("DELETE", `/admin/api/subscribers/${reader}`));

    // What the walk above cannot reach without a held lesson, a failed send or a guard pause; each has its own route test.
    const unreached = Object.entries(API_OPERATIONS)
      .filter(([key, op]) => op.ok.schema && !checked.has(key))
      .map(([key]) => key)
      .sort();
    expect(unreached).toEqual([
      "POST /admin/api/sending/resume",
      "POST /admin/api/sends/:id/retry",
      "POST /admin/api/subscribers/:id/retry-lesson",
      "POST /admin/api/subscribers/:id/skip-lesson",
    ]);
  });

  it("refuses the document and the page without credentials, like every /admin/api route", async () => {
    for (const path of ["/admin/api/openapi.json", "/admin/api/docs"]) {
      const response = await app.request(path);
      expect(response.status, path).toBe(401);
    }
  });
});

describe("the API reference page", () => {
  let t: TestApp;
  let app: ReturnType<typeof appFor>;

  beforeAll(async () => {
    t = await makeTestApp();
    app = appFor(t, { adminToken: ADMIN });
  });
  afterAll(async () => {
    await t.close();
  });

  it("lists every endpoint with its scope, parameters and body fields, from local assets only", async () => {
    const response = await app.request("/admin/api/docs", { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    const doc = (await (await app.request("/admin/api/openapi.json", { headers: auth })).json()) as OpenApiDocument;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const section = html.slice(html.indexOf(`id="${op.operationId}"`));
        expect(section.length, `${method} ${path}`).toBeLessThan(html.length);
        const own = section.slice(0, section.indexOf('class="api-endpoint"') > 0 ? section.indexOf('class="api-endpoint"') : undefined);
        expect(own, `${method} ${path}`).toContain(`${method.toUpperCase()} ${path}`);
        expect(own, `${method} ${path}`).toContain(`Scope: <code>${op["x-scope"]}</code>`);
        for (const p of op.parameters ?? []) expect(own, `${method} ${path} parameter ${p.name}`).toContain(`<code>${p.name}</code>`);
        const body = op.requestBody ? Object.values(op.requestBody.content)[0]!.schema : undefined;
        for (const field of Object.keys(body?.properties ?? {})) expect(own, `${method} ${path} body field ${field}`).toContain(`<code>${field}</code>`);
      }
    }
    expect(html).toContain('href="/admin/api/openapi.json"');
    // Every stylesheet, script and image is served by Lessonpost itself (or inline, as the favicon).
    const sources = [...html.matchAll(/<(?:link|script|img)\b[^>]*?(?:href|src)="([^"]+)"/g)].map(([, url]) => url!);
    expect(sources.some((url) => url.startsWith("/assets/"))).toBe(true);
    expect(sources.filter((url) => !url.startsWith("/assets/") && !url.startsWith("data:"))).toEqual([]);
  });

  it("is in the console's nav, marked as the current page", async () => {
    const html = await (await app.request("/admin/api/docs", { headers: auth })).text();
    expect(html).toMatch(/<a href="\/admin\/api\/docs" aria-current="page">API reference<\/a>/);
  });
});
