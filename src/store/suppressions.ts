import type * as NodeCrypto from "node:crypto";
import type { Database, SuppressionReason } from "./database.ts";
import { reusableQuery } from "./reusable-query.ts";

/**
 * Node's own hash where there is one: every signup hashes its address twice (rate limit, suppression
 * check), and Web Crypto's digest is an asynchronous thread-pool job that cost 7% of the HTTP
 * process's CPU under signup load (measured), against a few microseconds inline. Workers take the
 * Web Crypto path; both give the same hex.
 */
const nodeCrypto = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.("node:crypto") as typeof NodeCrypto | undefined;

/**
 * Addresses that must never be mailed by accident (hard bounces, complaints, erased readers),
 * kept only as a one-way hash. Unsalted on purpose: the hash must still match after SECRET_KEY is
 * rotated, and it is compared, never shown.
 */
export async function emailHash(email: string): Promise<string> {
  const normalised = email.trim().toLowerCase();
  if (nodeCrypto?.createHash) return nodeCrypto.createHash("sha256").update(normalised).digest("hex");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(normalised));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A bounce or complaint outranks an erasure: erasing a bounced reader must not make them mailable. */
export async function suppress(db: Database, email: string, reason: SuppressionReason, now: number): Promise<void> {
  const hash = await emailHash(email);
  await db
    .insertInto("suppressions")
    .values({ email_hash: hash, reason, created_at: now })
    .onConflict((oc) => (reason === "deleted" ? oc.column("email_hash").doNothing() : oc.column("email_hash").doUpdateSet({ reason, created_at: now })))
    .execute();
}

const selectSuppression = reusableQuery((db, p: { emailHash: string }) => db.selectFrom("suppressions").select("reason").where("email_hash", "=", p.emailHash));

export async function suppressionOf(db: Database, email: string): Promise<SuppressionReason | undefined> {
  const { rows } = await selectSuppression(db, { emailHash: await emailHash(email) });
  return rows[0]?.reason;
}

/** A new, confirmed opt-in lifts an erasure; bounces and complaints stay. */
export async function liftErasure(db: Database, email: string): Promise<void> {
  await db.deleteFrom("suppressions").where("email_hash", "=", await emailHash(email)).where("reason", "=", "deleted").execute();
}
