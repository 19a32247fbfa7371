import type { Catalogue } from "../content/catalogue.ts";
import type { Logger } from "../log.ts";
import type { Dispatcher } from "../queue/dispatcher.ts";
import type { OutboxReader } from "../send/outbox.ts";
import type { SignupLimiter } from "../limits/signup-limits.ts";
import type { Database } from "../store/database.ts";

/**
 * What every command may use. The HTTP app, the CLI, the job processors and the Cloudflare entry
 * each build one from what they were handed, so a command never sees Hono's Context, argv or a job.
 */
export interface Services {
  db: Database;
  /** Every course of the install. */
  catalogue: Catalogue;
  log: Logger;
  /** The public https address, for links in emails and pages. */
  appUrl: string;
  /** Signs link tokens. */
  secretKey: string;
  /** Absent on Cloudflare and in the CLI without Redis: new ledger rows wait for the tick. */
  dispatcher?: Dispatcher | undefined;
  /** COURSE_DAY_SECONDS, for compressed demo and test calendars. */
  courseDaySeconds?: number | undefined;
  /**
   * Where a reader's address lives outside the database, for erasure: the local outbox's files
   * (present only without RESEND_API_KEY) and the rate-limit counters named after the address.
   */
  outbox?: Pick<OutboxReader, "eraseFor"> | undefined;
  signupLimiter?: Pick<SignupLimiter, "forget"> | undefined;
  /** The clock; tests pin it. */
  now(): number;
}
