import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError } from "./errors.ts";
import type { AppEnv } from "./env.ts";

function unreadable(error: unknown): unknown {
  // Our own errors (and hono's) already say what went wrong; anything else from a body parser is
  // the client's malformed body (bad multipart boundary, broken JSON), not a fault of ours.
  if (error instanceof AppError || error instanceof HTTPException) return error;
  return new AppError(400, "bad_body", "The body of this request could not be read. Check that it matches its Content-Type (for multipart/form-data, that the boundary is right).", "Request not readable");
}

/**
 * One guard for every route: whichever handler or middleware reads the body through
 * `c.req.parseBody()`, `c.req.json()` or `c.req.formData()`, a body that cannot be parsed becomes a
 * 400, never an unhandled 500. Wrapping the request's own methods (rather than parsing up front)
 * keeps bodies lazy, so the webhook still gets its raw text and routes that ignore bodies pay nothing.
 */
export function bodyGuard(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const req = c.req;
    const parseBody = req.parseBody.bind(req);
    const json = req.json.bind(req);
    const formData = req.formData.bind(req);
    Object.assign(req, {
      parseBody: (...args: Parameters<typeof parseBody>) => parseBody(...args).catch((error: unknown) => Promise.reject(unreadable(error))),
      json: () => json().catch((error: unknown) => Promise.reject(unreadable(error))),
      formData: () => formData().catch((error: unknown) => Promise.reject(unreadable(error))),
    });
    await next();
  };
}
