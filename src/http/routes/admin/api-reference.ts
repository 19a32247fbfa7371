import { Hono } from "hono";
import type { AppEnv } from "../../env.ts";
import { openApiDocument } from "../../openapi.ts";
import { apiDocsPage } from "../../views/admin/api-docs.tsx";

/**
 * The API's own reference, mounted at /admin/api behind the gate like every API route (scope
 * `read`): the OpenAPI 3.1 document, and a page that renders the same document for people.
 */
export const apiReferenceRoutes = new Hono<AppEnv>()
  .get("/openapi.json", (c) => c.json(openApiDocument()))
  .get("/docs", (c) => c.html(apiDocsPage(openApiDocument())));
