import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { ApiScope } from "../commands/api-keys.ts";
import type { ReaderAction } from "../commands/reader-actions.ts";
import { AppError } from "./errors.ts";
import type { AppEnv } from "./env.ts";

/**
 * The scope each /admin/api route needs, in one table: `METHOD path` exactly as the route is
 * registered (full path, with its :params). A route missing here needs `admin`, the scope that
 * manages the keys themselves, so a route added without a row is never opened to a lesser key by
 * accident; and
 * test/routes/api-scopes.test.ts walks every mounted /admin/api route and fails for any without a
 * row (and for any row without a route). Add a row when you add an API route.
 */

/** Reader actions (POST /admin/api/subscribers/:id/<action>): typed, so a new action must be placed. */
const READER_ACTION_SCOPES: Record<ReaderAction, ApiScope> = {
  "send-lesson": "send",
  "retry-lesson": "send",
  "skip-lesson": "readers:write",
  move: "readers:write",
  pause: "readers:write",
  resume: "readers:write",
  unsubscribe: "readers:write",
};

export const ROUTE_SCOPES: Readonly<Record<string, ApiScope>> = {
  "GET /admin/api/stats": "read",
  "GET /admin/api/subscribers": "read",
  "GET /admin/api/subscribers/:id": "read",
  "GET /admin/api/subscribers/:id/export": "read",
  "DELETE /admin/api/subscribers/:id": "readers:write",
  ...Object.fromEntries(Object.entries(READER_ACTION_SCOPES).map(([action, scope]) => [`POST /admin/api/subscribers/:id/${action}`, scope])),
  "POST /admin/api/enrollments": "readers:write",
  "POST /admin/api/enrollments/:id/pause": "readers:write",
  "POST /admin/api/enrollments/:id/resume": "readers:write",
  "POST /admin/api/import": "readers:write",
  "GET /admin/api/courses/:slug/analytics": "read",
  "GET /admin/api/sending": "read",
  "POST /admin/api/sending/resume": "admin",

  "GET /admin/api/sends/failed": "read",
  "GET /admin/api/sends/retry-progress": "read",
  "POST /admin/api/sends/retry-failed": "send",
  "POST /admin/api/sends/:id/retry": "send",
  "POST /admin/api/newsletters": "send",
  "POST /admin/api/broadcasts": "send",
  "GET /admin/api/broadcasts/:id": "read",
  "GET /admin/api/openapi.json": "read",
  "GET /admin/api/docs": "read",

  "POST /admin/api/course/pause": "admin",
  "POST /admin/api/course/resume": "admin",
  "DELETE /admin/api/sessions": "admin",
  "GET /admin/api/keys": "admin",
  "POST /admin/api/keys": "admin",
  "DELETE /admin/api/keys/:id": "admin",
  // Webhooks send readers' data elsewhere: managing them is the owner's ("admin", issue #13).
  "GET /admin/api/webhooks": "admin",
  "POST /admin/api/webhooks": "admin",
  "GET /admin/api/webhooks/deliveries": "admin",
  "POST /admin/api/webhooks/deliveries/:id/replay": "admin",
  "GET /admin/api/webhooks/:id": "admin",
  "PATCH /admin/api/webhooks/:id": "admin",
  "DELETE /admin/api/webhooks/:id": "admin",
  "POST /admin/api/webhooks/:id/test": "admin",
  "GET /admin/api/webhooks/:id/deliveries": "admin",
};

/** What a route needs: its row, else `admin`. */
export function scopeFor(method: string, path: string): ApiScope {
  return ROUTE_SCOPES[`${method} ${path}`] ?? "admin";
}

/**
 * Mounted by the admin router right behind the gate, before any route, so it runs for every
 * /admin/api route wherever its sub-app is mounted: the route that will answer is the first
 * matched one registered for a method (middleware is registered as ALL). A request
 * that matches no route goes on to the 404, which says nothing a key could not learn anyway.
 */
export const requireScope: MiddlewareHandler<AppEnv> = async (c, next) => {
  const handler = matchedRoutes(c).find((route) => route.method !== "ALL");
  if (!handler) return next();
  const needed = scopeFor(handler.method, handler.path);
  // The admin gate sets the scopes for every request it lets through; none at all grants nothing.
  const granted: readonly ApiScope[] | undefined = c.var.adminScopes;
  if (!granted?.includes(needed)) {
    throw new AppError(403, "insufficient_scope", `This API key lacks the "${needed}" scope, which ${handler.method} ${handler.path} needs.`, "Not allowed");
  }
  return next();
};
