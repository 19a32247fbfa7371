import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { emailKey, namesMailbox } from "../email-address.ts";
import { emailsOfBatchBody } from "./mailer.ts";
import type { Mailer, OutgoingEmail } from "./mailer.ts";

/**
 * Without a RESEND_API_KEY every email lands here as a JSON file, so the whole flow can be seen
 * in a browser with no account. The file is named by the idempotency key: a retry overwrites
 * nothing and shows up once, exactly like a provider that honours the key.
 */

export interface OutboxEntry extends Omit<OutgoingEmail, "idempotencyKey"> {
  id: string;
  idempotencyKey: string;
  createdAt: number;
}

export interface OutboxReader {
  list(limit?: number): Promise<OutboxEntry[]>;
  get(id: string): Promise<OutboxEntry | undefined>;
  /** Erasure: deletes every email to this address; returns how many. */
  eraseFor(address: string): Promise<number>;
}

const SAFE_ID = /^[\w-]{1,200}$/;

export function createOutbox(dir: string): Mailer & OutboxReader {
  let ready: Promise<unknown> | undefined;
  // A failed mkdir is forgotten, so the next email tries again once the directory can be made.
  const ensureDir = () =>
    (ready ??= mkdir(dir, { recursive: true }).catch((error: unknown) => {
      ready = undefined;
      throw error;
    }));

  async function read(id: string): Promise<OutboxEntry | undefined> {
    if (!SAFE_ID.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(join(dir, `${id}.json`), "utf8")) as OutboxEntry;
    } catch {
      return undefined;
    }
  }

  return {
    name: "outbox",
    async send(email) {
      await ensureDir();
      const id = email.idempotencyKey.replace(/[^\w-]/g, "_");
      const existing = await read(id);
      if (existing) return { id: existing.id };
      const entry: OutboxEntry = { ...email, id, createdAt: Date.now() };
      // Write-then-rename would be atomic, but a half-written file is only a dev-mode nuisance
      // and the flag below prevents clobbering a finished one.
      await writeFile(join(dir, `${id}.json`), JSON.stringify(entry), { flag: "wx" }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
      });
      return { id };
    },
    async sendBatch(batch) {
      const results = [];
      for (const email of emailsOfBatchBody(batch)) results.push(await this.send(email));
      return results;
    },
    async list(limit = 200) {
      await ensureDir();
      const files = (await readdir(dir)).filter((f) => f.endsWith(".json"));
      const entries = (await Promise.all(files.map((f) => read(f.slice(0, -5))))).filter((e): e is OutboxEntry => e !== undefined);
      return entries.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
    },
    get: read,
    async eraseFor(address) {
      await ensureDir();
      const key = emailKey(address);
      let erased = 0;
      for (const file of (await readdir(dir)).filter((f) => f.endsWith(".json"))) {
        const entry = await read(file.slice(0, -5));
        if (entry && namesMailbox(entry.to, key)) {
          await rm(join(dir, file), { force: true });
          erased += 1;
        }
      }
      return erased;
    },
  };
}
