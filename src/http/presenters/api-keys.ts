import type { ApiKeySummary } from "../../commands/api-keys.ts";

/** An API key as /admin/api shows it: never the key, only its first characters. Times are ISO. */

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

export function presentApiKey(key: ApiKeySummary) {
  return { id: key.id, name: key.name, hint: key.hint, scopes: key.scopes, createdAt: iso(key.createdAt), lastUsedAt: iso(key.lastUsedAt), revoked: key.revokedAt !== null, revokedAt: iso(key.revokedAt) };
}
