import type { Database } from "./database.ts";

/**
 * Admin console sessions. The cookie carries a random secret; only its hash is stored, so a copy
 * of the database opens no session. A session is valid while its row exists and has not expired.
 */

async function sessionIdOf(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Stores a new session and clears out expired ones, so the table never grows without bound. */
export async function openAdminSession(db: Database, secret: string, now: number, expiresAt: number): Promise<void> {
  await db.deleteFrom("admin_sessions").where("expires_at", "<=", now).execute();
  await db.insertInto("admin_sessions").values({ id: await sessionIdOf(secret), created_at: now, expires_at: expiresAt }).execute();
}

export async function adminSessionValid(db: Database, secret: string, now: number): Promise<boolean> {
  const row = await db.selectFrom("admin_sessions").select("expires_at").where("id", "=", await sessionIdOf(secret)).executeTakeFirst();
  return row !== undefined && Number(row.expires_at) > now;
}

export async function closeAdminSession(db: Database, secret: string): Promise<void> {
  await db.deleteFrom("admin_sessions").where("id", "=", await sessionIdOf(secret)).execute();
}

/** "Log out everywhere": every session ends; returns how many there were. */
export async function closeAllAdminSessions(db: Database): Promise<number> {
  const result = await db.deleteFrom("admin_sessions").executeTakeFirst();
  return Number(result.numDeletedRows);
}
