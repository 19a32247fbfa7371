import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

/**
 * A cap on small bodies that reads only the headers when they say the size. hono's bodyLimit
 * checks Content-Length too, but only after asking for the request's body stream: on
 * @hono/node-server that builds a full web Request with a stream over the socket, which switches
 * off the adapter's direct read of `text()`/`json()`, and costs every request (GET included) about
 * as much CPU as a whole hello-world answer. A body with Content-Length and no Transfer-Encoding
 * cannot be longer than declared (the HTTP parser stops there), so the header settles it; GET and
 * HEAD have no body on either runtime; everything else (a chunked body) goes through bodyLimit,
 * which counts the bytes.
 */
export function smallBodyLimit(maxBytes: number, tooLarge: () => never): MiddlewareHandler {
  const counted = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") return next();
    const length = declaredLength(c);
    if (length === undefined) return counted(c, next);
    if (!(length <= maxBytes)) tooLarge();
    return next();
  };
}

/**
 * The body's size as its headers state it: Content-Length without Transfer-Encoding, which the
 * HTTP parser holds the body to. Undefined when the size is only known by counting (chunked); NaN
 * for a length that is not a number, which no cap accepts.
 */
export function declaredLength(c: Context): number | undefined {
  const length = c.req.header("content-length");
  return length !== undefined && c.req.header("transfer-encoding") === undefined ? Number(length) : undefined;
}
