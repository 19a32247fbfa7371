import type { Database } from "./database.ts";
import { openPostgres } from "./postgres.ts";
import { openSqlite } from "./sqlite.ts";

/**
 * Node-side connection chooser: `sqlite:<path>` (the embedded default) or `postgres://…`.
 * The Cloudflare entry opens PostgreSQL over Hyperdrive with store/postgres.ts directly, so its
 * bundle never sees better-sqlite3.
 */

export type DatabaseEngine = "sqlite" | "postgres";

export function engineOf(url: string): DatabaseEngine {
  return url.startsWith("sqlite:") ? "sqlite" : "postgres";
}

export async function openDatabase(url: string, options: { migrate?: boolean } = {}): Promise<Database> {
  return engineOf(url) === "sqlite" ? openSqlite(url.slice("sqlite:".length), options) : openPostgres(url, options);
}
