import { sql, SqliteAdapter } from "kysely";
import type { Database } from "./database.ts";

/**
 * Group commit for the embedded database: transactions asked for in the same turn of the event
 * loop run one after another inside one SQLite transaction, and each caller's promise settles
 * once that transaction has committed, so no caller hears of a write that is not yet durable.
 *
 * Why: a SQLite commit writes every B-tree page the transaction touched to the WAL, one frame per
 * page. A signup touches 20 B-trees (four rows and their indexes), so every signup wrote about 25
 * pages (100 KB) and its commit was about a third of the HTTP process's CPU. Half of those trees
 * are keyed by time (time-ordered ids, created-at indexes), so signups committed together share
 * those pages, and the commit's own cost is paid once per group. Under load the signups that wait
 * on the same Redis reply (the rate limits) reach here in the same turn and form a group; alone,
 * a signup waits for nothing but the next turn.
 *
 * PostgreSQL gets a transaction per caller: its connections commit in parallel, and grouping was
 * measured slower there.
 *
 * A group that fails is not a verdict on its members: each is run again in a transaction of its
 * own, so one caller's error (or conflict) never fails or undoes another's write. `work` must
 * therefore have no effect outside the transaction it is given.
 *
 * The SQLite transaction begins IMMEDIATE, taking the write lock first: a transaction that reads
 * first and writes later cannot wait for another process's write lock (SQLite answers
 * SQLITE_BUSY at once, since its snapshot is stale), while one waiting for the lock up front is
 * covered by busy_timeout. Two `start:http` processes on one file need that.
 */
export function groupedTransaction<T>(db: Database, work: (trx: Database) => Promise<T>): Promise<T> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return db.transaction().execute(work);
  let group = groups.get(db);
  if (!group) groups.set(db, (group = { waiting: [], scheduled: false }));
  return new Promise<T>((resolve, reject) => {
    group.waiting.push({ work, resolve: resolve as (value: unknown) => void, reject });
    schedule(db, group);
  });
}

/** At most this many callers share a commit, so one group holds the event loop for a bounded time. */
export const MAX_GROUP = 64;

interface Waiting {
  work: (trx: Database) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

interface Group {
  waiting: Waiting[];
  scheduled: boolean;
}

const groups = new WeakMap<Database, Group>();

function schedule(db: Database, group: Group): void {
  if (group.scheduled) return;
  group.scheduled = true;
  // setImmediate runs after the poll phase, once every socket that was readable in this turn has
  // been handled: that is what lets concurrent requests meet here.
  setImmediate(() => {
    group.scheduled = false;
    const members = group.waiting.splice(0, MAX_GROUP);
    if (group.waiting.length) schedule(db, group);
    void commitTogether(db, members);
  });
}

async function commitTogether(db: Database, members: Waiting[]): Promise<void> {
  if (members.length === 1) return runAlone(db, members[0]!);
  let results: unknown[];
  try {
    results = await immediateTransaction(db, async (trx) => {
      const out: unknown[] = [];
      for (const member of members) out.push(await member.work(trx));
      return out;
    });
  } catch {
    // Rolled back whole: nothing of any member was written. Each tries again on its own.
    for (const member of members) await runAlone(db, member);
    return;
  }
  members.forEach((member, i) => member.resolve(results[i]));
}

async function runAlone(db: Database, member: Waiting): Promise<void> {
  try {
    member.resolve(await immediateTransaction(db, member.work));
  } catch (error) {
    member.reject(error);
  }
}

/** A SQLite transaction that takes the write lock as it begins (see groupedTransaction). */
async function immediateTransaction<T>(db: Database, work: (trx: Database) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const result = await work(connection);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      // SQLite may have rolled back already (some errors end the transaction); the error that
      // matters is the first one.
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw error;
    }
  });
}
