import { sql } from "kysely";
import type { Database } from "./database.ts";

/** The cheapest round trip to the database, for liveness checks. */
export async function pingDatabase(db: Database): Promise<void> {
  await sql`select 1`.execute(db);
}
