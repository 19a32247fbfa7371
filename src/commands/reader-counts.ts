import type { Course } from "../content/schema.ts";
import { readerCounts } from "../store/reader-counts.ts";
import type { ReaderCounts } from "../store/reader-counts.ts";
import { courseScope } from "./course-admin.ts";
import type { Services } from "./services.ts";

export { BUCKET_DEFINITIONS, READER_BUCKETS } from "../store/reader-counts.ts";
export type { ReaderBucket, ReaderCounts } from "../store/reader-counts.ts";

/** A course's readers by state (src/store/reader-counts.ts): what every edge shows as "the numbers". */
export async function courseReaderCounts(services: Services, course: Course): Promise<ReaderCounts> {
  return readerCounts(services.db, courseScope(services.catalogue, course));
}
