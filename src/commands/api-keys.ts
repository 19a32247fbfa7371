import { invalid, notFound } from "../errors.ts";
import { singleLine } from "../text.ts";
import { findApiKey, findApiKeyByHash, insertApiKey, listApiKeys as listApiKeyRows, revokeApiKey as revokeApiKeyRow, touchApiKey } from "../store/api-keys.ts";
import type { ApiKeyListing } from "../store/api-keys.ts";
import type { Services } from "./services.ts";

/**
 * API keys for scripts and integrations: each has a name and scopes, is shown once when created,
 * and is kept only as a SHA-256 hash. ADMIN_TOKEN is the owner's key and holds every scope.
 */

/**
 * What a key may do under /admin/api. Scopes do not imply one another: a key holds exactly the
 * ones it was given, so `send` alone cannot read the reader list.
 */
export const API_SCOPES = ["read", "readers:write", "send", "admin"] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const SCOPE_DESCRIPTIONS: Record<ApiScope, string> = {
  read: "read readers, figures, failed sends and newsletters",
  "readers:write": "add, import, change, pause and delete readers",
  send: "send lessons and newsletters, retry failed sends",
  admin: "manage API keys, webhooks, course pauses and console sessions",
};

/** Every key starts with this, so a leaked one is recognisable (and secret scanners can match it). */
export const KEY_PREFIX = "lp_";
/** 32 random bytes, base64url: 43 characters after the prefix. */
const KEY_SHAPE = /^lp_[A-Za-z0-9_-]{43}$/;
/** Last-used times are kept to the minute: at most one write per key per minute, however busy. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export interface ApiKeySummary {
  id: string;
  name: string;
  /** The key's first characters, to tell keys apart. */
  hint: string;
  scopes: ApiScope[];
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export function isApiScope(value: unknown): value is ApiScope {
  return typeof value === "string" && (API_SCOPES as readonly string[]).includes(value);
}

/** True when the bearer token has an API key's shape (anything else is only ever ADMIN_TOKEN). */
export function looksLikeApiKey(token: string): boolean {
  return KEY_SHAPE.test(token);
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function hashOf(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function summaryOf(row: ApiKeyListing): ApiKeySummary {
  return {
    id: row.id,
    name: row.name,
    hint: row.key_hint,
    scopes: row.scopes.split(" ").filter(isApiScope),
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

const badKey = (code: string, message: string) => invalid(code, message, "Please check the key");

/** A new key: its summary, and the key itself, which is never shown (or stored) again. */
export async function createApiKey(services: Pick<Services, "db" | "log" | "now">, input: { name: unknown; scopes: unknown }): Promise<{ key: string; summary: ApiKeySummary }> {
  const name = typeof input.name === "string" ? singleLine(input.name) : "";
  if (name.length === 0) throw badKey("key_name_required", "Give the key a name that says who uses it, such as “CRM sync”.");
  if (name.length > 100) throw badKey("key_name_too_long", "Keep the key's name under 100 characters.");
  const asked = Array.isArray(input.scopes) ? input.scopes : typeof input.scopes === "string" ? [input.scopes] : [];
  const unknown = asked.filter((s) => !isApiScope(s));
  if (unknown.length > 0) throw badKey("unknown_scope", `Unknown scope ${unknown.map((s) => JSON.stringify(s)).join(", ")}. The scopes are ${API_SCOPES.join(", ")}.`);
  // In the table's order, each once, whatever order they were asked in.
  const scopes = API_SCOPES.filter((s) => asked.includes(s));
  if (scopes.length === 0) throw badKey("scopes_required", `Give the key at least one scope: ${API_SCOPES.join(", ")}.`);

  const key = `${KEY_PREFIX}${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const id = crypto.randomUUID();
  const now = services.now();
  await insertApiKey(services.db, { id, name, keyHash: await hashOf(key), keyHint: key.slice(0, KEY_PREFIX.length + 4), scopes }, now);
  services.log.info("admin action", { action: "api-key-created", keyId: id, scopes: scopes.join(" ") });
  return { key, summary: { id, name, hint: key.slice(0, KEY_PREFIX.length + 4), scopes, createdAt: now, lastUsedAt: null, revokedAt: null } };
}

export async function listApiKeys(services: Pick<Services, "db">): Promise<ApiKeySummary[]> {
  return (await listApiKeyRows(services.db)).map(summaryOf);
}

/** Revokes a key at once; revoking one already revoked changes nothing and says so. */
export async function revokeApiKey(services: Pick<Services, "db" | "log" | "now">, id: string): Promise<ApiKeySummary> {
  const existing = await findApiKey(services.db, id);
  if (!existing) throw notFound("unknown_api_key", `There is no API key with the id "${id}".`, "No such key");
  if (await revokeApiKeyRow(services.db, id, services.now())) services.log.info("admin action", { action: "api-key-revoked", keyId: id });
  return summaryOf((await findApiKey(services.db, id))!);
}

export type KeyCheck = { ok: true; id: string; scopes: ApiScope[] } | { ok: false; reason: "unknown" | "revoked" };

/**
 * The key a request carries, checked: its scopes when it is live. A use is recorded at most once a
 * minute (the read tells whether one is due, so most requests write nothing).
 */
export async function authenticateApiKey(services: Pick<Services, "db" | "now">, key: string): Promise<KeyCheck> {
  if (!looksLikeApiKey(key)) return { ok: false, reason: "unknown" };
  const row = await findApiKeyByHash(services.db, await hashOf(key));
  if (!row) return { ok: false, reason: "unknown" };
  if (row.revoked_at !== null) return { ok: false, reason: "revoked" };
  const now = services.now();
  if (row.last_used_at === null || now - Number(row.last_used_at) >= LAST_USED_RESOLUTION_MS) await touchApiKey(services.db, row.id, now, LAST_USED_RESOLUTION_MS);
  return { ok: true, id: row.id, scopes: summaryOf(row).scopes };
}
