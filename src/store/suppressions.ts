import type { Database, SuppressionReason } from "./database.ts";

/**
 * Addresses that must never be mailed by accident (hard bounces, complaints, erased readers),
 * kept only as a one-way hash. Unsalted on purpose: the hash must still match after SECRET_KEY is
 * rotated, and it is compared, never shown.
 */
export async function emailHash(email: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(email.trim().toLowerCase()));
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

export async function suppressionOf(db: Database, email: string): Promise<SuppressionReason | undefined> {
  const row = await db.selectFrom("suppressions").select("reason").where("email_hash", "=", await emailHash(email)).executeTakeFirst();
  return row?.reason;
}

/** A new, confirmed opt-in lifts an erasure; bounces and complaints stay. */
export async function liftErasure(db: Database, email: string): Promise<void> {
  await db.deleteFrom("suppressions").where("email_hash", "=", await emailHash(email)).where("reason", "=", "deleted").execute();
}
