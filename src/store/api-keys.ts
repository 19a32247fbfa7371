import type { Selectable } from "kysely";
import type { ApiKeysTable, Database } from "./database.ts";

/**
 * API keys. The caller hands in the SHA-256 of a key, never the key: what is stored (and looked
 * up) is only the hash, plus a short hint to tell keys apart in a list.
 */

export type ApiKeyRow = Selectable<ApiKeysTable>;
/** A key as a list shows it: everything but the hash. */
export type ApiKeyListing = Omit<ApiKeyRow, "key_hash">;

export interface NewApiKey {
  id: string;
  name: string;
  keyHash: string;
  keyHint: string;
  scopes: readonly string[];
}

export async function insertApiKey(db: Database, key: NewApiKey, now: number): Promise<void> {
  await db
    .insertInto("api_keys")
    .values({ id: key.id, name: key.name, key_hash: key.keyHash, key_hint: key.keyHint, scopes: key.scopes.join(" "), created_at: now, last_used_at: null, revoked_at: null })
    .execute();
}

/** Every key, newest first, revoked ones included (they say so). */
export async function listApiKeys(db: Database): Promise<ApiKeyListing[]> {
  return db
    .selectFrom("api_keys")
    .select(["id", "name", "key_hint", "scopes", "created_at", "last_used_at", "revoked_at"])
    .orderBy("created_at", "desc")
    .orderBy("id")
    .execute();
}

export async function findApiKeyByHash(db: Database, keyHash: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom("api_keys").selectAll().where("key_hash", "=", keyHash).executeTakeFirst();
}

export async function findApiKey(db: Database, id: string): Promise<ApiKeyListing | undefined> {
  return db.selectFrom("api_keys").select(["id", "name", "key_hint", "scopes", "created_at", "last_used_at", "revoked_at"]).where("id", "=", id).executeTakeFirst();
}

/** Revokes a live key; false when there is no such key or it was already revoked. */
export async function revokeApiKey(db: Database, id: string, now: number): Promise<boolean> {
  const result = await db.updateTable("api_keys").set({ revoked_at: now }).where("id", "=", id).where("revoked_at", "is", null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Records a use, unless one was recorded within `minIntervalMs`: conditional, so requests racing
 * each other write once between them.
 */
export async function touchApiKey(db: Database, id: string, now: number, minIntervalMs: number): Promise<void> {
  await db
    .updateTable("api_keys")
    .set({ last_used_at: now })
    .where("id", "=", id)
    .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<=", now - minIntervalMs)]))
    .execute();
}
