import { parseHTML } from "linkedom";
import { expect } from "vitest";
import type { Html } from "../../../src/http/views/document.tsx";

/** A page as a browser would see it: rendered, then parsed by a real HTML parser (linkedom). */
export async function render(page: Html): Promise<Document> {
  return parseHTML(String(await page)).document as unknown as Document;
}

/** The controls a person fills in: not hidden fields, not the honeypot nobody sees. */
function visibleControls(doc: Document): Element[] {
  return [...doc.querySelectorAll("input, select, textarea")].filter(
    (el) => el.getAttribute("type") !== "hidden" && !el.hasAttribute("hidden") && !el.closest("[aria-hidden='true']"),
  );
}

/** A control is labelled by a <label for> naming its id, or by the <label> around it. */
export function labelOf(doc: Document, control: Element): string | undefined {
  const id = control.getAttribute("id");
  const byFor = id ? [...doc.querySelectorAll("label")].find((label) => label.getAttribute("for") === id) : undefined;
  const label = byFor ?? control.closest("label");
  return label?.textContent?.trim() || undefined;
}

/**
 * What every page owes a reader or an admin: a language, a doctype, exactly one <h1>, its
 * stylesheets at content-hashed URLs, no inline script, and a label on every field.
 */
export function expectSoundPage(doc: Document, stylesheets: string[]): void {
  expect(doc.documentElement.getAttribute("lang")).toBe("en");
  expect(doc.doctype?.name).toBe("html");
  expect(doc.querySelectorAll("h1")).toHaveLength(1);
  expect(doc.querySelectorAll("title")[0]?.textContent).toBeTruthy();
  const hrefs = [...doc.querySelectorAll('link[rel="stylesheet"]')].map((link) => link.getAttribute("href"));
  expect(hrefs).toHaveLength(stylesheets.length);
  stylesheets.forEach((name, i) => {
    const [stem, ext] = name.split(".");
    expect(hrefs[i]).toMatch(new RegExp(`^/assets/${stem}\\.[0-9a-z]+\\.${ext}$`));
  });
  for (const script of doc.querySelectorAll("script")) {
    expect(script.getAttribute("src")).toMatch(/^\/assets\/[a-z-]+\.[0-9a-z]+\.js$/);
    expect(script.textContent).toBe("");
  }
  for (const control of visibleControls(doc)) {
    expect(labelOf(doc, control), `a label for ${control.outerHTML}`).toBeTruthy();
  }
}
