import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { chromium } from "playwright-core";
import { start } from "../src/boot.ts";
import { silentLogger } from "../src/log.ts";
import { confirmToken, preferencesToken } from "../src/tokens.ts";

/**
 * `npm run screenshots`: starts the service on the two-course fixture (a temporary SQLite file, the
 * outbox, a compressed calendar so lessons go out in seconds), seeds a few readers through the
 * public form, and saves the main pages at a phone's width and a laptop's to docs/screenshots/.
 * Needs Redis (REDIS_URL, as for `npm start`) and Debian's Chromium at /usr/bin/chromium.
 */

const OUT = resolve("docs/screenshots");
const WIDTHS = [375, 1280] as const;
const CHROMIUM = "/usr/bin/chromium";
const CONTENT_DIR = "test/fixtures/content/two-courses";
const ADMIN = `screenshots-${crypto.randomUUID()}`;
const SECRET = crypto.randomUUID() + crypto.randomUUID();
const PREFIX = `lessonpost-screenshots-${process.pid}`;

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => done(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Polls until `check` gives a value; the seeded readers' lessons go out on the queue, not at once. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

if (!existsSync(CHROMIUM)) {
  console.error(`Chromium not found at ${CHROMIUM}: run \`apt-get install -y chromium\`.`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "lessonpost-screenshots-"));
const port = await freePort();
const base = `http://localhost:${port}`;
const runtime = await start(["http", "workers"], {
  ...process.env,
  NODE_ENV: "development",
  PORT: String(port),
  APP_URL: base,
  DATABASE_URL: `sqlite:${join(dir, "db.sqlite")}`,
  OUTBOX_DIR: join(dir, "outbox"),
  CONTENT_DIR,
  ADMIN_TOKEN: ADMIN,
  SECRET_KEY: SECRET,
  REDIS_PREFIX: PREFIX,
  COURSE_DAY_SECONDS: "2",
  RESEND_API_KEY: "",
}, { log: silentLogger });

try {
  // A few readers: most confirmed in one course or both, one still to confirm.
  const readers = [
    { email: "ann@example.com", name: "Ann", courses: ["morning-pages", "evening-review"], confirm: true },
    { email: "bo@example.com", name: "Bo", courses: ["morning-pages"], confirm: true },
    { email: "cy@example.com", name: "Cy", courses: ["evening-review"], confirm: true },
    { email: "dee@example.com", name: "Dee", courses: ["morning-pages"], confirm: false },
  ];
  for (const reader of readers) {
    for (const [index, course] of reader.courses.entries()) {
      const res = await fetch(`${base}/subscribe`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: reader.email, name: reader.name, course, timezone: "Europe/Lisbon" }) });
      if (res.status !== 202) throw new Error(`signup answered ${res.status}`);
      if (index === 0 && reader.confirm) {
        const { id } = await runtime.db.selectFrom("subscribers").select("id").where("email", "=", reader.email).executeTakeFirstOrThrow();
        const confirmed = await fetch(`${base}/confirm/${await confirmToken(SECRET, id, Date.now())}`, { method: "POST", headers: { origin: base } });
        if (confirmed.status !== 200) throw new Error(`confirm answered ${confirmed.status}`);
      }
    }
  }
  await until("a few lessons sent", async () => {
    const { count } = await runtime.db.selectFrom("sends").select((eb) => eb.fn.countAll<number>().as("count")).where("kind", "=", "lesson").where("status", "=", "sent").executeTakeFirstOrThrow();
    return Number(count) >= 6 ? true : undefined;
  });
  const ann = await runtime.db.selectFrom("subscribers").select("id").where("email", "=", "ann@example.com").executeTakeFirstOrThrow();

  const pages: { name: string; path: string; admin?: boolean }[] = [
    { name: "catalogue", path: "/" },
    { name: "course-page", path: "/courses/morning-pages" },
    { name: "preferences", path: `/preferences/${await preferencesToken(SECRET, ann.id, Date.now())}` },
    { name: "admin-dashboard", path: "/admin?course=morning-pages", admin: true },
    { name: "admin-readers", path: "/admin/readers?course=morning-pages", admin: true },
    { name: "admin-reader", path: `/admin/readers/${ann.id}`, admin: true },
    { name: "admin-course", path: "/admin/course?course=morning-pages", admin: true },
    { name: "admin-analytics", path: "/admin/analytics?course=morning-pages", admin: true },
    { name: "admin-broadcasts", path: "/admin/broadcasts?course=morning-pages", admin: true },
  ];

  mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    for (const width of WIDTHS) {
      const context = await browser.newContext({ viewport: { width, height: 800 } });
      const page = await context.newPage();
      let loggedIn = false;
      for (const { name, path, admin } of pages) {
        if (admin && !loggedIn) {
          loggedIn = true;
          await page.goto(`${base}/admin/login`);
          await page.locator('input[name="secret"]').fill(ADMIN);
          await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/admin/login")), page.locator('input[name="secret"]').press("Enter")]);
        }
        await page.goto(`${base}${path}`, { waitUntil: "networkidle" });
        const file = join(OUT, `${name}-${width}.png`);
        await page.screenshot({ path: file, fullPage: true });
        console.log(`saved ${file}`);
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
} finally {
  await runtime.shutdown();
  rmSync(dir, { recursive: true, force: true });
  // The run's queue keys, so repeated runs leave nothing behind in Redis.
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const keys = await redis.keys(`${PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
