import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { SqliteDatabase } from "kysely";
import type { DB, Database } from "./database.ts";
import { migrateToLatest } from "./migrations.ts";

/** Opens the embedded database at `path` (or ":memory:"), tuned for one writer process at a time, and migrates it. */
export async function openSqlite(path: string, options: { migrate?: boolean } = {}): Promise<Database> {
  const db = connectSqlite(path);
  if (options.migrate ?? true) await migrateToLatest(db as Kysely<unknown>);
  return db;
}

function connectSqlite(path: string): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  // WAL lets the HTTP handlers read while a worker writes; busy_timeout turns a brief writer
  // collision between processes into a short wait instead of SQLITE_BUSY.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("busy_timeout = 5000");
  // Under WAL, NORMAL syncs at checkpoints rather than on every commit: a committed transaction is
  // in the WAL (the operating system's page cache) before commit returns, so it survives a crash
  // of this process, which is the guarantee the ledger and the exactly-once send rely on. Only a
  // power loss or kernel crash can lose the last commits (never corrupt the file).
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  // SQLite's default page cache is 2 MB; at a million readers the scheduler's indexes no longer
  // fit and every tick pays for it. 16 MB holds what a tick reads: in alternating runs of the
  // scheduler benchmark at a million readers, 16 and 32 MB were equally fast (32 MB had been
  // measured as fast as 64), while 8 MB was slower. The cache fills to its limit under any large
  // job (an import of 360,000 readers) and stays full, so its size is part of the service's
  // footprint: 32 MB cost about 40 MiB of resident memory, 16 MB about 20. What the smaller cache
  // costs: in the signup benchmark (a fresh database of about 10,000 readers, whose randomly keyed
  // index pages all fit in 32 MB) a signup took 8-20% more CPU in alternating runs. We chose the
  // memory: a small server runs out of it first, and the signup figure is in BENCHMARKS.md.
  //
  // No memory-mapped reads (mmap_size 0, SQLite's default): every page of the file that a mapping
  // touches counts in the process's resident memory, so the service's footprint grew with the
  // database (up to the 256 MB we mapped: idle 135 -> 178 MiB from 20,000 to 100,000 readers, and
  // +256 MiB during a large import). Without the mapping, reads go through the kernel's page cache,
  // which is shared and reclaimed under pressure; the scheduler pays for the extra copies (see
  // BENCHMARKS.md, scheduler).
  sqlite.pragma("cache_size = -16384");
  sqlite.pragma("mmap_size = 0");
  // Without table statistics SQLite's planner guesses, and at scale it guesses wrong (measured: a
  // batched enrollment UPDATE 3x slower at a million rows). Keep the statistics fresh: on open, as
  // SQLite recommends for long-lived connections, and every hour.
  sqlite.pragma("optimize = 0x10002");
  setInterval(() => {
    if (sqlite.open) sqlite.pragma("optimize");
  }, 3_600_000).unref();
  return new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
}

/**
 * Kysely prepares every statement afresh; better-sqlite3's prepare is the single largest cost of a
 * signup under load. The same SQL text maps to the same reusable statement (Kysely runs one query
 * at a time per connection, so sharing them is safe), least recently used evicted first.
 */
function withStatementCache(sqlite: SQLite.Database, limit = 500): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (cache.size >= limit) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
  } as SqliteDatabase;
}
