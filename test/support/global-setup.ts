import pg from "pg";
import type { TestProject } from "vitest/node";
import { buildServer } from "../../scripts/build-server.ts";
import { POSTGRES_URL } from "./databases.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Names this run's PostgreSQL schemas, so its teardown drops exactly those. */
    pgRunId: string;
  }
}

/**
 * PostgreSQL test schemas are dropped once, after the whole run, not by each test. Kysely's
 * migrator looks for its tables through the catalog of *every* schema (pg_get_serial_sequence per
 * table), and a schema that another test drops at that moment makes the lookup fail with
 * "schema … does not exist": a parallel test's teardown could break this test's set-up.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The process tests run the service the way `npm start` does: from the bundle, built from this tree.
  await buildServer();
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  project.provide("pgRunId", runId);
  return async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    try {
      await client.connect();
    } catch {
      return; // no PostgreSQL, so nothing of ours to drop
    }
    try {
      const { rows } = await client.query<{ name: string }>("select nspname as name from pg_namespace where nspname like $1", [`t\\_${runId}\\_%`]);
      for (const { name } of rows) await client.query(`drop schema if exists "${name}" cascade`);
    } finally {
      await client.end();
    }
  };
}
