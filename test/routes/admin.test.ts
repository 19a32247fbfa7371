import { catalogueOf } from "../../src/content/catalogue.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { enroll } from "../../src/commands/enroll.ts";
import { loadCourse } from "../../src/content/load.ts";
import type { Course } from "../../src/content/schema.ts";
import { silentLogger } from "../../src/log.ts";
import { form, makeTestApp } from "../support/app.ts";
import type { TestApp } from "../support/app.ts";
import { TEST_SECRET } from "../support/stack.ts";

const ADMIN = "admin-token-for-tests-0123456789";
let t: TestApp;
let course: Course;
let app: ReturnType<typeof createApp>;
beforeEach(async () => {
  t = await makeTestApp();
  course = await loadCourse("content/couples-therapy-up-close");
  app = createApp({ db: t.db, catalogue: catalogueOf([course]), log: silentLogger, appUrl: "https://lessons.example.test", secretKey: TEST_SECRET, adminToken: ADMIN, emailFrom: "Lessonpost <l@example.test>" });
});
afterEach(async () => {
  await t.close();
});
const auth = { headers: { authorization: `Bearer ${ADMIN}` } };

describe("lesson preview (admin)", () => {
  it("refuses anyone without the admin token", async () => {
    expect((await app.request(`/admin/preview/${course.lessons[0]!.slug}`)).status).toBe(401);
    expect((await app.request(`/admin/preview/${course.lessons[0]!.slug}`, { headers: { authorization: "Bearer wrong-token-wrong-token" } })).status).toBe(401);
  });

  it("does not exist when no admin token is configured", async () => {
    const open = createApp({ db: t.db, catalogue: catalogueOf([course]), log: silentLogger, appUrl: "https://x.test", secretKey: TEST_SECRET });
    expect((await open.request(`/admin/preview/${course.lessons[0]!.slug}`, auth)).status).toBe(404);
  });

  it("renders a lesson as a given reader receives it, in HTML and in text", async () => {
    await t.app.request("/subscribe", form({ email: "dana@example.com", name: "Dana" }));
    const lesson = course.lessons[1]!;
    const html = await app.request(`/admin/preview/${lesson.slug}?reader=dana@example.com`, auth);
    expect(html.status).toBe(200);
    const body = await html.text();
    expect(body).toContain(lesson.title.replace(/"/g, "&quot;").slice(0, 20));
    expect(body).toContain("Dana");
    expect(body).toContain("https://lessons.example.test/unsubscribe/");
    const text = await (await app.request(`/admin/preview/${lesson.slug}?reader=dana@example.com&format=text`, auth)).text();
    expect(text).toContain("Dana");
    expect(text).toContain(lesson.author);
    const json = (await (await app.request(`/admin/preview/${lesson.slug}?reader=dana@example.com&format=json`, auth)).json()) as { subject: string; to: string; headers: Record<string, string> };
    expect(json.subject).toBe(lesson.subject);
    expect(json.to).toBe('"Dana" <dana@example.com>');
    expect(json.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
  });

  it("explains unknown lessons and readers", async () => {
    const lesson = await app.request("/admin/preview/no-such-lesson", auth);
    expect(lesson.status).toBe(404);
    expect(await lesson.text()).toContain(course.lessons[0]!.slug);
    expect((await app.request(`/admin/preview/${course.lessons[0]!.slug}?reader=nobody@example.com`, auth)).status).toBe(404);
    expect((await app.request("/admin/preview/graduation?format=text", auth)).status).toBe(200);
  });
});

describe("pause and resume (admin API)", () => {
  it("pauses and resumes a reader and the course, and refuses the wrong state or no token", async () => {
    await t.app.request("/subscribe", form({ email: "p@example.com" }));
    const subscriber = await t.db.selectFrom("subscribers").select("id").executeTakeFirstOrThrow();
    const enrollmentId = await enroll({ db: t.db, catalogue: catalogueOf([course]), now: Date.now }, { subscriberId: subscriber.id });
    const post = (path: string, withAuth = true) => app.request(path, { method: "POST", ...(withAuth ? auth : {}) });

    expect((await post(`/admin/api/enrollments/${enrollmentId}/pause`, false)).status).toBe(401);
    expect((await post(`/admin/api/enrollments/${enrollmentId}/pause`)).status).toBe(200);
    expect((await t.db.selectFrom("enrollments").select("status").executeTakeFirstOrThrow()).status).toBe("paused");
    expect((await post(`/admin/api/enrollments/${enrollmentId}/pause`)).status).toBe(409);
    expect((await post(`/admin/api/enrollments/${enrollmentId}/resume`)).status).toBe(200);
    expect((await t.db.selectFrom("enrollments").select("status").executeTakeFirstOrThrow()).status).toBe("active");

    expect(await (await post("/admin/api/course/pause")).json()).toEqual({ course: course.slug, paused: true });
    expect((await t.db.selectFrom("course_state").select("paused").executeTakeFirstOrThrow()).paused).toBe(1);
    await post("/admin/api/course/resume");
    expect((await t.db.selectFrom("course_state").select("paused").executeTakeFirstOrThrow()).paused).toBe(0);
  });
});
