import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { DB, Database } from "./database.ts";
import { migrateToLatest } from "./migrations.ts";

/**
 * PostgreSQL, for Node and for the Cloudflare Worker alike. Web-standard enough for workerd: no
 * better-sqlite3 and no file system here, so the Worker bundle can import it.
 */

/** Opens a pool on `url` and migrates the connection's schema (Node processes). */
export async function openPostgres(url: string, options: { migrate?: boolean; max?: number } = {}): Promise<Database> {
  const db = connectPostgres(url, options);
  if (options.migrate ?? true) {
    const schema = (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema;
    await migrateToLatest(db as Kysely<unknown>, schema);
  }
  return db;
}

/** A pool of at most `max` connections, without migrating (the Worker leaves that to the Node side). */
export function connectPostgres(url: string, options: { max?: number } = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    // int8 columns hold epoch milliseconds: well inside Number's exact range.
    types: {
      getTypeParser: (oid: number, format?: "text" | "binary") =>
        oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text"),
    },
  });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
