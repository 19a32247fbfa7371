import { Hono } from "hono";
import { z } from "zod";
import { API_SCOPES, createApiKey, listApiKeys, revokeApiKey } from "../../../commands/api-keys.ts";
import { invalid, malformed } from "../../../errors.ts";
import type { AppEnv } from "../../env.ts";
import { presentApiKey } from "../../presenters/api-keys.ts";
import { servicesFor } from "../../services.ts";

/**
 * /admin/api/keys: create (the key is in this one answer, never again), list (no secrets, last
 * use), revoke. Every route here needs the `admin` scope (src/http/api-scopes.ts).
 */

const newKey = z.object({
  name: z.string({ error: "name is required: say who uses the key." }).max(1000),
  scopes: z.array(z.string().max(100), { error: `scopes is required: a list of ${API_SCOPES.join(", ")}.` }).max(20),
});

export const apiKeyRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    if (!(c.req.header("content-type") ?? "").includes("application/json")) throw malformed("bad_body", 'Send {"name": …, "scopes": […]} as JSON.', "Something is not right");
    const body: unknown = await c.req.json().catch(() => {
      throw malformed("bad_json", "The body is not valid JSON.", "Something is not right");
    });
    const parsed = newKey.safeParse(body);
    if (!parsed.success) throw invalid("bad_api_key", parsed.error.issues[0]?.message ?? "Send a name and scopes.", "Please check the key");
    const { key, summary } = await createApiKey(servicesFor(c), parsed.data);
    c.header("cache-control", "no-store");
    return c.json({ ...presentApiKey(summary), key }, 201);
  })
  .get("/", async (c) => c.json({ items: (await listApiKeys(servicesFor(c))).map(presentApiKey) }))
  .delete("/:id", async (c) => c.json(presentApiKey(await revokeApiKey(servicesFor(c), c.req.param("id")))));
