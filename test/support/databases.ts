import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { inject } from "vitest";

/**
 * Real databases for tests, one per test: a fresh SQLite file, or a fresh PostgreSQL schema on
 * the local server (selected through the connection's search_path). PostgreSQL schemas are dropped
 * by the run's teardown (./global-setup.ts), not here; see there for why.
 */

export type Engine = "sqlite" | "postgres";
export const ENGINES: Engine[] = ["sqlite", "postgres"];

export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  engine: Engine;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  const id = `t_${inject("pgRunId")}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  if (engine === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "lessonpost-"));
    return { engine, url: `sqlite:${join(dir, "test.db")}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${id}`);
  await admin.end();
  // %20, not URLSearchParams' "+": pg-connection-string decodes the option with decodeURIComponent.
  const url = `${POSTGRES_URL}${POSTGRES_URL.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${id}`)}`;
  // Dropped with the rest of the run's schemas once every test is done.
  return { engine, url, drop: async () => undefined };
}
