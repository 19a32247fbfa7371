import { Hono } from "hono";
import { createApiKey, listApiKeys, revokeApiKey } from "../../../commands/api-keys.ts";
import { DomainError } from "../../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { servicesFor } from "../../services.ts";
import { keysPage } from "../../views/admin/keys.tsx";

const NOTICES: Record<string, string> = {
  revoked: "The key is revoked: every request with it is refused from now on.",
};

/**
 * API keys in the console: list, create, revoke. A new key is shown in the answer to the form
 * itself (never in a redirect's address, never stored), so it appears exactly once.
 */
export const keyAdminRoutes = new Hono<AppEnv>()
  .get("/", async (c) => c.html(keysPage({ keys: await listApiKeys(servicesFor(c)), message: NOTICES[c.req.query("notice") ?? ""] })))
  .post("/", async (c) => {
    const services = servicesFor(c);
    const body = await c.req.parseBody({ all: true });
    const name = typeof body.name === "string" ? body.name : "";
    const scopes = ([] as unknown[]).concat(body.scopes ?? []).filter((s): s is string => typeof s === "string");
    try {
      const created = await createApiKey(services, { name, scopes });
      c.header("cache-control", "no-store");
      return c.html(keysPage({ keys: await listApiKeys(services), created }), 201);
    } catch (error) {
      if (!(error instanceof DomainError && error.kind === "invalid")) throw error;
      return c.html(keysPage({ keys: await listApiKeys(services), error: error.message, values: { name, scopes } }), 422);
    }
  })
  .post("/:id/revoke", async (c) => {
    await revokeApiKey(servicesFor(c), c.req.param("id"));
    return c.redirect("/admin/keys?notice=revoked", 303);
  });
