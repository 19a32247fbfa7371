import { randomFillSync } from "node:crypto";
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
  const now = Date.now();
  const random = randomBytes16();
  // uuid's own monotonic counter (a later id never sorts before an earlier one, even within a
  // millisecond) only runs when it draws the random bytes itself, so it is kept here: a new
  // millisecond starts the counter from random bits, as uuid does; within one it counts up.
  if (now > clock.msecs) {
    clock.msecs = now;
    clock.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    clock.seq = (clock.seq + 1) | 0;
    if (clock.seq === 0) clock.msecs++;
  }
  return v7({ random, msecs: clock.msecs, seq: clock.seq });
}

const clock = { msecs: -Infinity, seq: 0 };

// uuid draws 16 bytes from Web Crypto for every id, and that call was 5% of a signup's CPU in a
// profile (three ids each). Drawing them 4 KB at a time from the same source, as Node does for
// crypto.randomUUID, costs one call per 256 ids.
const POOL_IDS = 256;
const pool = new Uint8Array(16 * POOL_IDS);
let next = POOL_IDS;

function randomBytes16(): Uint8Array {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  return pool.subarray(16 * next, 16 * ++next);
}
