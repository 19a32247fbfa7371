import { Hono } from "hono";
import { html } from "hono/html";
import { stream } from "hono/streaming";
import { AppError } from "../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { adminLayout } from "../../views/admin/layout.ts";
import { exportReadersCsv, ImportError, importReaders } from "../../../store/reader-import.ts";
import type { ImportProblem, ImportReport } from "../../../store/reader-import.ts";

/**
 * CSV import and export of readers. The import streams its page: a progress bar per chunk (each
 * one drawn over the last, no script needed), then the report of every row not imported.
 */

function problems(title: string, list: ImportProblem[]) {
  if (list.length === 0) return "";
  return html`<h3>${title} (${list.length})</h3>
    <table><thead><tr><th>Line</th><th>Address</th><th>Why</th></tr></thead><tbody>
      ${list.slice(0, 500).map((p) => html`<tr><td>${p.line}</td><td>${p.email}</td><td>${p.reason}</td></tr>`)}
    </tbody></table>${list.length > 500 ? html`<p class="hint">… and ${list.length - 500} more.</p>` : ""}`;
}

export function reportHtml(report: ImportReport) {
  return html`<h2>Report</h2>
    <p><strong>${report.imported}</strong> of ${report.rows} rows imported.</p>
    ${problems("Invalid", report.invalid)}${problems("Duplicates in the file", report.duplicates)}${problems("Suppressed (bounced or complained)", report.suppressed)}${problems("Already readers", report.existing)}`;
}

export const importAdminRoutes = new Hono<AppEnv>()
  .get("/", (c) =>
    c.html(
      adminLayout(
        "Import and export",
        "import",
        html`<h1>Import and export</h1>
          <form class="card" method="post" action="/admin/import" enctype="multipart/form-data">
            <h2>Import readers from CSV</h2>
            <p class="hint">One reader per line with a header line naming the columns: <code>email</code> (required), <code>name</code>, <code>timezone</code>. Imported readers are confirmed: import only people who agreed to receive this course.</p>
            <label for="file">CSV file</label>
            <input id="file" name="file" type="file" accept=".csv,text/csv" required />
            <label for="source">Where did these readers give their consent?</label>
            <input id="source" name="source" type="text" required minlength="3" maxlength="200" placeholder="e.g. Signup sheet at the May 2026 workshop" />
            <label><input type="checkbox" name="enroll" value="yes" checked /> Start the course for them now</label>
            <button type="submit">Import</button>
          </form>
          <div class="card">
            <h2>Export</h2>
            <p><a href="/admin/import/export.csv" download>Download every reader as CSV</a></p>
          </div>`,
      ),
    ),
  )
  .post("/", async (c) => {
    const { deps, now } = c.var;
    const body = await c.req.parseBody();
    const file = body.file;
    const text = typeof file === "string" ? file : file instanceof File ? await file.text() : "";
    if (!text.trim()) throw new AppError(422, "no_file", "Choose a CSV file to import.", "Nothing to import");
    const source = typeof body.source === "string" ? body.source : "";
    const enroll = body.enroll === "yes";
    c.header("Content-Type", "text/html; charset=UTF-8");
    return stream(c, async (out) => {
      const page = String(
        await adminLayout("Importing", "import", html`<h1>Importing readers</h1><div class="import-progress" aria-live="polite">%%BODY%%</div>`),
      );
      const [head, tail] = page.split("%%BODY%%") as [string, string];
      await out.write(head);
      try {
        const report = await importReaders(deps.db, deps.course, text, {
          consentSource: source,
          enroll,
          onProgress: (done, total) => void out.write(`<p><progress value="${done}" max="${total}">${done} of ${total}</progress> ${done} of ${total}</p>`),
        }, now);
        await out.write(String(await reportHtml(report)));
      } catch (error) {
        const message = error instanceof ImportError ? error.message : "The import stopped on an unexpected error; rows before it were imported.";
        if (!(error instanceof ImportError)) deps.log.error("import failed", { error: error instanceof Error ? error.message : String(error) });
        await out.write(String(await html`<p class="error" role="alert">${message}</p>`));
      }
      await out.write(tail);
    });
  })
  .get("/export.csv", async (c) => {
    const { deps } = c.var;
    c.header("Content-Type", "text/csv; charset=UTF-8");
    c.header("Content-Disposition", 'attachment; filename="lessonpost-readers.csv"');
    c.header("Cache-Control", "no-store");
    return stream(c, async (out) => {
      for await (const chunk of exportReadersCsv(deps.db, deps.course)) await out.write(chunk);
    });
  });
