import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";

/** Debian's Chromium (`npx playwright install` cannot download here); .ci/run installs it. */
export const CHROMIUM = "/usr/bin/chromium";

/** Headless Chromium as every browser test runs it: no sandbox (CI runs as root), nothing phoning home. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\`.`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core's serious and critical findings on the page as it stands, how far the page overflows
 * sideways, and the elements that cause it. The page's CSP must let the script in: open it in a
 * context with `bypassCSP: true` (the pages themselves allow no inline script).
 */
export async function auditPage(page: Page): Promise<{ findings: AxeFinding[]; overflow: number; culprit: string }> {
  await page.addScriptTag({ content: AXE });
  const findings = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document, {
      resultTypes: ["violations"],
    });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) }));
  });
  const { overflow, culprit } = await page.evaluate(() => {
    // The deepest element that reaches past the right edge names the cause in the failure message.
    // Elements inside a box that scrolls sideways by itself are allowed past the edge.
    const scrolls = (el: Element) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
    const clipped = (el: Element) => {
      for (let up = el.parentElement; up; up = up.parentElement) if (scrolls(up)) return true;
      return false;
    };
    const past = [...document.body.querySelectorAll("*")].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !clipped(el));
    const deepest = past.filter((el) => !past.some((other) => other !== el && el.contains(other)));
    const culprit = deepest
      .slice(0, 3)
      .map((el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === "string" ? `.${el.className.split(" ").join(".")}` : ""} "${(el.textContent ?? "").trim().slice(0, 40)}"`)
      .join(", ");
    return { overflow: document.documentElement.scrollWidth - window.innerWidth, culprit };
  });
  return { findings, overflow, culprit };
}

/** One finding as a line: its impact, rule and where. */
export function describeFinding(finding: AxeFinding): string {
  return `${finding.impact} ${finding.id} at ${finding.nodes.join(", ")}`;
}
