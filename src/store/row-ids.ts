import { v7 } from "uuid";

/**
 * Ids for the rows written in bulk (ledger rows and their batches, enrollments, consent records):
 * time-ordered UUIDs (v7), so a new row's key lands at the end of its primary-key index, and of
 * the indexes that lead with it, instead of on a random page. With random ids every signup, tick
 * and import touched one more index page per table, which the page cache had to hold and each
 * commit had to write to the WAL.
 *
 * Not for readers' own ids: those travel in links, and a v7 id tells when it was made. A ledger
 * row's or a consent record's time is no secret from anyone who sees the id (the email itself, the
 * reader's own data export, a webhook that carries the time beside it).
 */
export function timeOrderedId(): string {
  return v7();
}
