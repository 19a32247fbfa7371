import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { chromium } from "playwright-core";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  previewData,
  previewNewsletterMarkdown,
  previewNewsletterSubject,
  previewRecipient,
  previewUrls,
} from "../../emails/_components/preview-data.ts";
import {
  renderConfirmEmail,
  renderGraduationEmail,
  renderLessonEmail,
  renderNewsletterEmail,
} from "../../src/render/emails.ts";

const { course: previewCourse, lesson: previewLesson, creditedLesson: previewCreditedLesson } = previewData();

/**
 * Every email must fit a 375px phone and a 1024px desktop without horizontal scrolling.
 * Screenshots land in build/screenshots/emails/ for a human to eyeball the design.
 */

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = resolve(import.meta.dirname, "../../build/screenshots/emails");
const WIDTHS = [375, 1024] as const;

// Things that break narrow layouts: unbroken URLs and words, wide code, tables, long names.
const stressMarkdown = [
  "## A heading that is quite long and has a verylongwordwithoutanybreakopportunitiesatallwhatsoever in it",
  "Read more at https://www.goodtherapy.org/blog/couples-therapy/when-partners-are-at-different-stages-of-healing-and-what-to-do-about-it-0123456789abcdef?utm_source=lessonpost&utm_medium=email",
  "```\nconst aVeryLongLineOfCodeThatWouldNormallyOverflowItsContainer = someFunction(argumentNumberOne, argumentNumberTwo);\n```",
  "| Partner | Stage of healing | Notes |\n|---|---|---|\n| A | Has done years of individual therapy and is ready to keep going | https://example.com/a/really/long/path/that/should/wrap/inside/the/cell |\n| B | Just starting | — |",
  "> A blockquote with a long link inside: [https://example.com/another/really/long/path/segment/that/keeps/going/and/going](https://example.com/another/really/long/path/segment/that/keeps/going/and/going)",
  "- a list item with `inline code that is fairly long and has no spaces: averyveryverylongidentifiername_and_more_more_more`",
].join("\n\n");

const longUrl = `${previewUrls.unsubscribe}${"x".repeat(160)}`;
const longName = "Dana-Maria-Alexandrina-Konstantinopoulou-Featherstonehaugh-Smythe";

interface Case {
  name: string;
  html: string;
}

function cases(): Case[] {
  const recipient = previewRecipient;
  const lesson = (l: typeof previewLesson, unsubscribeUrl = previewUrls.unsubscribe) =>
    renderLessonEmail({
      course: previewCourse,
      lesson: l,
      recipient,
      unsubscribeUrl,
      preferencesUrl: previewUrls.preferences,
    }).html;
  return [
    {
      name: "confirm",
      html: renderConfirmEmail({ course: previewCourse, recipient, confirmUrl: previewUrls.confirm }).html,
    },
    {
      name: "confirm-long-url",
      html: renderConfirmEmail({
        course: previewCourse,
        recipient: { email: "x@y.z", name: longName },
        confirmUrl: longUrl,
      }).html,
    },
    { name: "lesson", html: lesson(previewLesson) },
    { name: "lesson-credited", html: lesson(previewCreditedLesson) },
    { name: "lesson-stress", html: lesson({ ...previewCreditedLesson, markdown: stressMarkdown }, longUrl) },
    {
      name: "graduation",
      html: renderGraduationEmail({
        course: previewCourse,
        recipient,
        unsubscribeUrl: previewUrls.unsubscribe,
        preferencesUrl: previewUrls.preferences,
      }).html,
    },
    {
      name: "newsletter",
      html: renderNewsletterEmail({
        course: previewCourse,
        recipient,
        subject: previewNewsletterSubject,
        markdown: previewNewsletterMarkdown,
        unsubscribeUrl: previewUrls.unsubscribe,
        preferencesUrl: previewUrls.preferences,
      }).html,
    },
    {
      name: "newsletter-stress",
      html: renderNewsletterEmail({
        course: previewCourse,
        recipient,
        subject:
          "A subject with an unbreakable https://example.com/very/long/path/in/the/subject/line/that/keeps/going",
        markdown: stressMarkdown,
        unsubscribeUrl: longUrl,
      }).html,
    },
  ];
}

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}. The email overflow test needs Debian's chromium: ` +
        "run `apt-get update && apt-get install -y chromium` (npx playwright install cannot download here).",
    );
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
});

interface Measurement {
  scrollWidth: number;
  innerWidth: number;
  /** Visible elements whose right edge is past the viewport, for a useful failure message. */
  offenders: string[];
}

async function measure(
  html: string,
  width: number,
  colorScheme: "light" | "dark",
  screenshot: string,
): Promise<Measurement> {
  const context = await browser.newContext({ viewport: { width, height: 800 }, colorScheme });
  try {
    const page = await context.newPage();
    await page.setContent(html, { waitUntil: "load" });
    await page.screenshot({ path: screenshot, fullPage: true });
    return await page.evaluate(() => {
      const offenders: string[] = [];
      for (const el of Array.from(document.body.querySelectorAll("*"))) {
        const rect = el.getBoundingClientRect();
        if (rect.width > 0 && rect.height > 0 && rect.right > window.innerWidth + 0.5) {
          offenders.push(
            `<${el.tagName.toLowerCase()}> right=${Math.round(rect.right)}: ${(el.textContent ?? "").slice(0, 60)}`,
          );
        }
      }
      return {
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        offenders: offenders.slice(0, 5),
      };
    });
  } finally {
    await context.close();
  }
}

describe("emails fit the viewport (headless Chromium)", () => {
  for (const { name, html } of cases()) {
    for (const width of WIDTHS) {
      it(`${name} at ${width}px has no horizontal overflow`, async () => {
        const result = await measure(html, width, "light", resolve(SCREENSHOTS, `${name}-${width}.png`));
        expect(result.offenders).toEqual([]);
        expect(result.scrollWidth).toBeLessThanOrEqual(result.innerWidth);
      });
    }
  }

  it("lesson in dark mode at 375px has no horizontal overflow", async () => {
    const html = cases().find((c) => c.name === "lesson")?.html ?? "";
    const result = await measure(html, 375, "dark", resolve(SCREENSHOTS, "lesson-375-dark.png"));
    expect(result.scrollWidth).toBeLessThanOrEqual(result.innerWidth);
  });
});
