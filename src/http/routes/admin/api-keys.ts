import { Hono } from "hono";
import { createApiKey, listApiKeys, revokeApiKey } from "../../../commands/api-keys.ts";
import { malformed } from "../../../errors.ts";
import { apiKeyBody, parseInput } from "../../api-schemas.ts";
import type { AppEnv } from "../../env.ts";
import { presentApiKey } from "../../presenters/api-keys.ts";
import { servicesFor } from "../../services.ts";

/**
 * /admin/api/keys: create (the key is in this one answer, never again), list (no secrets, last
 * use), revoke. Every route here needs the `admin` scope (src/http/api-scopes.ts); the body's
 * schema is in src/http/api-schemas.ts, where the OpenAPI document reads it too.
 */


export const apiKeyRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    if (!(c.req.header("content-type") ?? "").includes("application/json")) throw malformed("bad_body", 'Send {"name": …, "scopes": […]} as JSON.', "Something is not right");
    const body: unknown = await c.req.json().catch(() => {
      throw malformed("bad_json", "The body is not valid JSON.", "Something is not right");
    });
    const input = parseInput(apiKeyBody, body, "bad_api_key", "invalid", "Please check the key");
    const { key, summary } = await createApiKey(servicesFor(c), input);
    c.header("cache-control", "no-store");
    return c.json({ ...presentApiKey(summary), key }, 201);
  })
  .get("/", async (c) => c.json({ items: (await listApiKeys(servicesFor(c))).map(presentApiKey) }))
  .delete("/:id", async (c) => c.json(presentApiKey(await revokeApiKey(servicesFor(c), c.req.param("id")))));
