import { exportReadersCsv, importReaders } from "../store/reader-import.ts";
import type { CsvInput, ImportOptions, ImportReport } from "../store/reader-import.ts";
import type { Services } from "./services.ts";

/**
 * CSV import and export of readers, for the console's upload and the CLI. Both stream: a large
 * file is neither held whole nor committed in one transaction.
 */

/** Readers who consented elsewhere, committed a page of rows at a time; every refused row is reported. */
export async function importReaderCsv(services: Services, csv: CsvInput, options: ImportOptions): Promise<ImportReport> {
  const report = await importReaders(services.db, services.course, csv, options, services.now());
  services.log.info("admin action", { action: "import", rows: report.rows, imported: report.imported });
  return report;
}

/** Every reader as CSV lines, a page at a time. */
export function exportReaderCsv(services: Pick<Services, "db" | "course">): AsyncGenerator<string> {
  return exportReadersCsv(services.db, services.course);
}
