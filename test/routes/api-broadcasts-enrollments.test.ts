import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { advanceBroadcasts } from "../../src/commands/advance-broadcasts.ts";
import type { Catalogue } from "../../src/content/catalogue.ts";
import { loadCatalogue } from "../../src/content/load.ts";
import { suppress } from "../../src/store/suppressions.ts";
import { appFor, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { ENGINES } from "../support/databases.ts";
import { confirmedReader } from "../support/readers.ts";

/**
 * The API actions a script was missing: newsletters under the console's name (POST and GET
 * /admin/api/broadcasts) and enrolling one address from a server-side integration, each called
 * with an API key of the scope it needs. Two courses: morning-pages and evening-review.
 */

const ADMIN = "admin-token-for-tests-0123456789";
const NOW = Date.UTC(2030, 0, 7, 12, 0, 0);

describe.each(ENGINES)("API broadcasts and enrollments (%s)", (engine) => {
  let t: TestApp;
  let catalogue: Catalogue;
  let app: ReturnType<typeof appFor>;
  const keys = { read: "", send: "", write: "" };

  const call = (path: string, bearer: string, body?: unknown) =>
    app.request(path, body === undefined ? { headers: { authorization: `Bearer ${bearer}` } } : { method: "POST", headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  async function newKey(scope: string): Promise<string> {
    const response = await call("/admin/api/keys", ADMIN, { name: `only ${scope}`, scopes: [scope] });
    return ((await response.json()) as { key: string }).key;
  }
  const reader = (email: string) => t.db.selectFrom("subscribers").selectAll().where("email", "=", email).executeTakeFirst();
  const enrollmentsOf = (subscriberId: string) => t.db.selectFrom("enrollments").select(["course_slug", "status", "next_due_at"]).where("subscriber_id", "=", subscriberId).orderBy("course_slug").execute();

  beforeEach(async () => {
    t = await makeTestApp({ engine });
    t.clock.now = NOW;
    catalogue = await loadCatalogue("test/fixtures/content/two-courses");
    app = appFor(t, { adminToken: ADMIN, catalogue });
    keys.read = await newKey("read");
    keys.send = await newKey("send");
    keys.write = await newKey("readers:write");
  });
  afterEach(async () => {
    await t.close();
  });

  describe("broadcasts", () => {
    it("sends a newsletter with a send key and shows its progress and results to a read key", async () => {
      await confirmedReader(t.db, catalogue.get("morning-pages")!, { email: "ann@example.com", confirmedAt: NOW - 86_400_000 });
      await confirmedReader(t.db, catalogue.get("morning-pages")!, { email: "cat@example.com", confirmedAt: NOW - 86_400_000 });
      await confirmedReader(t.db, catalogue.get("evening-review")!, { email: "bob@example.com", confirmedAt: NOW - 86_400_000 });

      const created = await call("/admin/api/broadcasts", keys.send, { course: "morning-pages", subject: "A note between lessons", markdown: "Hello.", audience: "course" });
      expect(created.status).toBe(201);
      const { id, state, progress } = (await created.json()) as { id: string; state: string; progress: string };
      expect(state).toBe("started");
      expect(progress).toBe(`/admin/api/broadcasts/${id}`);

      // The tick turns the audience into ledger rows; the API then counts them.
      await advanceBroadcasts({ db: t.db, now: () => NOW }, { batchSize: 100 });
      const shown = await call(progress, keys.read);
      expect(shown.status).toBe(200);
      const body = (await shown.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ id, course: "morning-pages", subject: "A note between lessons", audience: "course", progress: { expected: 2, materialized: true, done: false } });
      expect(body.results).toEqual({ total: 2, queued: 2, sent: 0, failed: 0, cancelled: 0, bounced: 0, delivered: 0 });

      // The results follow the ledger: one accepted, one failed.
      const rows = await t.db.selectFrom("sends").select("id").where("broadcast_id", "=", id).orderBy("id").execute();
      await t.db.updateTable("sends").set({ status: "sent", sent_at: NOW, delivered_at: NOW }).where("id", "=", rows[0]!.id).execute();
      await t.db.updateTable("sends").set({ status: "failed" }).where("id", "=", rows[1]!.id).execute();
      const later = (await (await call(progress, keys.read)).json()) as { results: Record<string, number>; progress: { settled: number; percent: number } };
      expect(later.results).toMatchObject({ total: 2, queued: 0, sent: 1, failed: 1, delivered: 1 });
      expect(later.progress).toMatchObject({ settled: 2, percent: 100 });
    });

    it("refuses a newsletter without its course or subject, and answers 404 for an unknown one", async () => {
      expect((await call("/admin/api/broadcasts", keys.send, { subject: "No course", markdown: "Hi." })).status).toBe(422);
      expect((await call("/admin/api/broadcasts", keys.send, { course: "morning-pages", markdown: "Hi." })).status).toBe(422);
      expect((await call("/admin/api/broadcasts/00000000-0000-4000-8000-00000000abcd", keys.read)).status).toBe(404);
      expect(await t.db.selectFrom("broadcasts").select("id").execute()).toEqual([]);
    });
  });

  describe("enrollments", () => {
    it("enrolls a new address at once, with the stated consent source recorded for the course", async () => {
      const response = await call("/admin/api/enrollments", keys.write, { email: "Dee@Example.com", name: "Dee", timezone: "Europe/Berlin", course: "evening-review", consentSource: "Bought the workbook, shop order 1234" });
      expect(response.status).toBe(201);
      const body = (await response.json()) as { outcome: string; subscriberId: string; enrollment: { status: string } };
      expect(body).toMatchObject({ course: "evening-review", outcome: "enrolled", enrollment: { status: "active" } });

      const dee = (await reader("Dee@example.com"))!;
      expect(dee).toMatchObject({ id: body.subscriberId, status: "active", name: "Dee", timezone: "Europe/Berlin", consent_form: "import: Bought the workbook, shop order 1234" });
      expect(await enrollmentsOf(dee.id)).toEqual([{ course_slug: "evening-review", status: "active", next_due_at: NOW }]);
      const consent = await t.db.selectFrom("consent_events").select(["kind", "detail", "course_slug"]).where("subscriber_id", "=", dee.id).execute();
      expect(consent).toEqual([{ kind: "opt_in", detail: JSON.stringify({ how: "import", source: "Bought the workbook, shop order 1234" }), course_slug: "evening-review" }]);
      // No confirmation email: the integration vouched for the consent.
      expect(await t.db.selectFrom("sends").select("id").where("subscriber_id", "=", dee.id).execute()).toEqual([]);

      // The same call again changes nothing and says so.
      const again = await call("/admin/api/enrollments", keys.write, { email: "dee@example.com", course: "evening-review", consentSource: "Bought the workbook, shop order 1234" });
      expect(again.status).toBe(200);
      expect(((await again.json()) as { outcome: string }).outcome).toBe("unchanged");
    });

    it("with doubleOptIn, sends a confirmation email and keeps the enrollment pending", async () => {
      const response = await call("/admin/api/enrollments", keys.write, { email: "eve@example.com", course: "morning-pages", consentSource: "Webinar signup, March", doubleOptIn: true });
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ outcome: "pending", enrollment: { status: "pending" } });

      const eve = (await reader("eve@example.com"))!;
      expect(eve).toMatchObject({ status: "pending", consent_form: "api: Webinar signup, March" });
      expect((await enrollmentsOf(eve.id)).map((e) => [e.course_slug, e.status])).toEqual([["morning-pages", "pending"]]);
      const confirm = await t.db.selectFrom("sends").select(["id", "kind"]).where("subscriber_id", "=", eve.id).execute();
      expect(confirm.map((s) => s.kind)).toEqual(["confirm"]);
      expect(t.dispatcher.sends).toContain(confirm[0]!.id);
      const consent = await t.db.selectFrom("consent_events").select(["kind", "course_slug"]).where("subscriber_id", "=", eve.id).execute();
      expect(consent).toEqual([{ kind: "opt_in", course_slug: "morning-pages" }]);
    });

    it("lets a confirmed reader of another course join at once, whether or not double opt-in is asked", async () => {
      const { subscriberId } = await confirmedReader(t.db, catalogue.get("morning-pages")!, { email: "ann@example.com", confirmedAt: NOW - 86_400_000 });
      const joined = await call("/admin/api/enrollments", keys.write, { email: "ann@example.com", course: "evening-review", consentSource: "Ticked the box at checkout", doubleOptIn: true });
      expect(joined.status).toBe(201);
      expect(await joined.json()).toMatchObject({ outcome: "joined", subscriberId, enrollment: { status: "active" } });

      const { subscriberId: bob } = await confirmedReader(t.db, catalogue.get("evening-review")!, { email: "bob@example.com", confirmedAt: NOW - 86_400_000 });
      const imported = await call("/admin/api/enrollments", keys.write, { email: "bob@example.com", course: "morning-pages", consentSource: "Ticked the box at checkout" });
      expect(imported.status).toBe(201);
      expect(await imported.json()).toMatchObject({ outcome: "joined", subscriberId: bob });
      expect((await enrollmentsOf(bob)).map((e) => [e.course_slug, e.status])).toEqual([["evening-review", "active"], ["morning-pages", "active"]]);
    });

    it("refuses what it cannot do, and changes nothing", async () => {
      await suppress(t.db, "gone@example.com", "complained", NOW - 1000);
      const refusals: [unknown, number, string][] = [
        [{ email: "not-an-address", course: "morning-pages", consentSource: "Shop" }, 422, "bad_enrollment"],
        [{ email: "fay@example.com", course: "morning-pages" }, 422, "bad_enrollment"],
        [{ email: "fay@example.com", course: "morning-pages", consentSource: " " }, 422, "consent_source_required"],
        [{ email: "fay@example.com", consentSource: "Shop order" }, 422, "course_required"],
        [{ email: "fay@example.com", course: "no-such-course", consentSource: "Shop order" }, 422, "course_unknown"],
        [{ email: "fay@example.com", course: "morning-pages", consentSource: "Shop order", doubleOptIn: "maybe" }, 422, "bad_enrollment"],
        [{ email: "gone@example.com", course: "morning-pages", consentSource: "Shop order" }, 409, "address_suppressed"],
        [{ email: "gone@example.com", course: "morning-pages", consentSource: "Shop order", doubleOptIn: true }, 409, "address_suppressed"],
      ];
      for (const [body, status, code] of refusals) {
        const response = await call("/admin/api/enrollments", keys.write, body);
        expect(response.status, JSON.stringify(body)).toBe(status);
        expect(((await response.json()) as { error: { code: string } }).error.code, JSON.stringify(body)).toBe(code);
      }
      expect(await t.db.selectFrom("subscribers").select("id").execute()).toEqual([]);
      expect(await t.db.selectFrom("sends").select("id").execute()).toEqual([]);
    });

    it("needs the readers:write scope", async () => {
      for (const key of [keys.read, keys.send]) {
        expect((await call("/admin/api/enrollments", key, { email: "gil@example.com", course: "morning-pages", consentSource: "Shop order" })).status).toBe(403);
      }
      expect(await reader("gil@example.com")).toBeUndefined();
    });
  });
});
