import { Hono } from "hono";
import type { Context } from "hono";
import { html } from "hono/html";
import { stream } from "hono/streaming";
import { chooseCourse } from "../../../commands/course-admin.ts";
import { exportReaderCsv, importReaderCsv } from "../../../commands/import-readers.ts";
import type { Course } from "../../../content/schema.ts";
import { DomainError, errorMessage, invalid, malformed } from "../../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { servicesFor } from "../../services.ts";
import { adminLayout } from "../../views/admin/layout.tsx";
import { courseHref, courseNav } from "../../views/admin/parts.tsx";
import type { CourseNav } from "../../views/admin/parts.tsx";
import { multipartBoundary, MultipartError, multipartParts } from "../../multipart-stream.ts";
import type { MultipartPart } from "../../multipart-stream.ts";
import type { ImportProblem, ImportReport } from "../../../store/reader-import.ts";

/**
 * CSV import and export of readers. The import streams both ways: the upload is parsed and
 * committed a page of rows at a time as it arrives, and the answer page shows a progress line per
 * page (no script needed), then the report of every row not imported.
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
    ${report.joined.length > 0 ? html`<p>${report.joined.length} of them were readers of another course and joined this one.</p>` : ""}
    ${problems("Invalid", report.invalid)}${problems("Duplicates in the file", report.duplicates)}${problems("Suppressed (bounced or complained)", report.suppressed)}${problems("Already readers", report.existing)}${problems("Imported with a warning", report.warnings)}`;
}

/** With several courses, which one the readers are imported into: the page's course is preselected. */
function courseSelect(nav: CourseNav) {
  if (nav.courses.length < 2) return "";
  return html`<label for="course">Course they agreed to receive</label>
    <select id="course" name="course" required>
      ${nav.courses.map((course) => html`<option value="${course.slug}" ${course.slug === nav.current.slug ? "selected" : ""}>${course.name}</option>`)}
    </select>`;
}

/**
 * The page's course (`?course=`, else the default). An upload must name its course once there
 * are several ("strict"): readers are never imported into a course nobody picked.
 */
function pageCourse(c: Context<AppEnv>, mode: "console" | "strict" = "console", value?: string): { course: Course; nav: CourseNav } {
  const { catalogue } = c.var.deps;
  const course = chooseCourse(catalogue, value ?? c.req.query("course"), mode);
  return { course, nav: courseNav(catalogue, course) };
}

export const importAdminRoutes = new Hono<AppEnv>()
  .get("/", (c) => {
    const { course, nav } = pageCourse(c);
    return c.html(
      adminLayout(
        "Import and export",
        "import",
        html`<h1>Import and export</h1>
          <form class="card" method="post" action="/admin/import" enctype="multipart/form-data">
            <h2>Import readers from CSV</h2>
            <p class="hint">One reader per line with a header line naming the columns: <code>email</code> (required), <code>name</code>, <code>timezone</code>. Imported readers are confirmed: import only people who agreed to receive this course.</p>
            ${courseSelect(nav)}
            <label for="source">Where did these readers give their consent?</label>
            <input id="source" name="source" type="text" required minlength="3" maxlength="200" placeholder="e.g. Signup sheet at the May 2026 workshop" />
            <label><input type="checkbox" name="enroll" value="yes" checked /> Start the course for them now</label>
            <!-- Last on purpose: the server reads the fields above before the file streams in. -->
            <label for="file">CSV file</label>
            <input id="file" name="file" type="file" accept=".csv,text/csv" required />
            <button type="submit">Import</button>
          </form>
          <div class="card">
            <h2>Export</h2>
            <p><a href="${courseHref(nav, "/admin/import/export.csv")}" download>Download every reader as CSV</a>${nav.courses.length > 1 ? html`, with their status in ${course.name}` : ""}</p>
          </div>`,
        { nav },
      ),
    );
  })
  .post("/", async (c) => {
    const { deps } = c.var;
    const services = servicesFor(c);
    const boundary = multipartBoundary(c.req.header("content-type"));
    const upload = c.req.raw.body;
    if (!boundary || !upload) throw malformed("bad_body", "Send the import form (multipart/form-data) with a CSV file.", "Nothing to import");
    // The file is read as it arrives, never held whole: the form puts the consent source and the
    // enrol choice before the file, so both are known by the time its first row is.
    const parts = multipartParts(upload, boundary);
    const fields: Record<string, string> = {};
    let file: MultipartPart | undefined;
    try {
      for (let next = await parts.next(); !next.done; next = await parts.next()) {
        const part = next.value;
        if (part.filename !== null) {
          if (part.name === "file" && part.filename !== "") {
            file = part;
            break;
          }
          continue;
        }
        fields[part.name] = await part.text(4096);
      }
    } catch (error) {
      if (error instanceof MultipartError) throw malformed("bad_body", error.message, "Not imported");
      throw error;
    }
    if (!file) {
      await parts.return(undefined);
      throw invalid("no_file", "Choose a CSV file to import.", "Nothing to import");
    }
    if (fields.source === undefined) {
      await parts.return(undefined);
      throw invalid("source_after_file", "Name the consent source in a form field before the file (the import page's form does).", "Not imported");
    }
    let chosen: { course: Course; nav: CourseNav };
    try {
      chosen = pageCourse(c, "strict", fields.course);
    } catch (error) {
      await parts.return(undefined);
      throw error;
    }
    const { course, nav } = chosen;
    const source = fields.source;
    const enroll = fields.enroll === "yes";
    const total = Number(c.req.header("content-length")) || null;
    const csv = file.body;
    c.header("Content-Type", "text/html; charset=UTF-8");
    return stream(c, async (out) => {
      const page = String(
        await adminLayout("Importing", "import", html`<h1>Importing readers${nav.courses.length > 1 ? ` into ${course.name}` : ""}</h1><div class="import-progress" aria-live="polite">%%BODY%%</div>`, { nav }),
      );
      const [head, tail] = page.split("%%BODY%%") as [string, string];
      await out.write(head);
      try {
        const report = await importReaderCsv(services, course, csv, {
          consentSource: source,
          enroll,
          onProgress: ({ rows, bytes }: { rows: number; bytes: number }) =>
            void out.write(total ? `<p><progress value="${bytes}" max="${total}">${rows} rows</progress> ${rows} rows</p>` : `<p>${rows} rows</p>`),
        });
        await out.write(String(await reportHtml(report)));
      } catch (error) {
        const known = error instanceof DomainError || error instanceof MultipartError;
        const message = known ? error.message : "The import stopped on an unexpected error; rows before it were imported.";
        if (!known) deps.log.error("import failed", { error: errorMessage(error) });
        await out.write(String(await html`<p class="error" role="alert">${message}</p>`));
      } finally {
        await parts.return(undefined);
      }
      await out.write(tail);
    });
  })
  .get("/export.csv", async (c) => {
    const { deps } = c.var;
    const { course } = pageCourse(c);
    c.header("Content-Type", "text/csv; charset=UTF-8");
    c.header("Content-Disposition", 'attachment; filename="lessonpost-readers.csv"');
    c.header("Cache-Control", "no-store");
    return stream(c, async (out) => {
      for await (const chunk of exportReaderCsv(deps, course)) await out.write(chunk);
    });
  });
