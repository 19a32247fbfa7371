import type { MiddlewareHandler } from "hono";
import { declaredLength } from "./body-limit.ts";

/**
 * multipart/form-data read part by part from the request body stream, with each part's content
 * handed on as it arrives instead of held whole (Request.formData() buffers the entire upload).
 * Web streams only, like the rest of src/http. The caller reads parts in order; a part it leaves
 * unread is skipped when it asks for the next one.
 *
 * Written here rather than taken from a library because the libraries we checked hold each part
 * whole before handing it over (@remix-run/multipart-parser's stable API; its streaming one is
 * marked unstable) or speak Node streams only (busboy), and the point is a 24 MB file never held.
 * Its unreadable bodies answer with the body guard's `bad_body` code (src/http/routes/admin/import.ts).
 */

export class MultipartError extends Error {
  override name = "MultipartError";
}

export interface MultipartPart {
  name: string;
  /** Set for a file input's part (possibly empty when no file was chosen). */
  filename: string | null;
  /** The part's content, chunk by chunk. Read it at most once, before asking for the next part. */
  body: AsyncIterable<Uint8Array>;
  /** The content as text, refused above `maxBytes` (for ordinary fields). */
  text(maxBytes: number): Promise<string>;
}

const MAX_HEADER_BYTES = 8 * 1024;
const CRLF = new Uint8Array([13, 10]);
const HEADER_END = new Uint8Array([13, 10, 13, 10]);

export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return null;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2] ?? null;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0]!;
  for (let i = haystack.indexOf(first, from); i !== -1 && i <= haystack.length - needle.length; i = haystack.indexOf(first, i + 1)) {
    let k = 1;
    while (k < needle.length && haystack[i + k] === needle[k]) k++;
    if (k === needle.length) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function startsWith(buf: Uint8Array, prefix: Uint8Array): boolean {
  if (buf.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[i] !== prefix[i]) return false;
  return true;
}

export async function* multipartParts(stream: ReadableStream<Uint8Array>, boundary: string): AsyncGenerator<MultipartPart> {
  const encoder = new TextEncoder();
  const opening = encoder.encode(`--${boundary}`);
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  const reader = stream.getReader();
  let buf: Uint8Array = new Uint8Array(0);
  let ended = false;
  const fill = async (): Promise<boolean> => {
    if (ended) return false;
    const next = await reader.read();
    if (next.done) {
      ended = true;
      return false;
    }
    buf = concat(buf, next.value);
    return true;
  };
  const need = async (n: number) => {
    while (buf.length < n) if (!(await fill())) throw new MultipartError("The upload ended before the form did.");
  };

  try {
    // The preamble (normally empty) runs up to the first boundary line.
    for (;;) {
      const at = indexOf(buf, opening);
      if (at !== -1) {
        buf = buf.subarray(at + opening.length);
        break;
      }
      if (buf.length > MAX_HEADER_BYTES) throw new MultipartError("No form data found in the upload.");
      if (!(await fill())) throw new MultipartError("No form data found in the upload.");
    }
    for (;;) {
      // After a boundary: "--" closes the form, CRLF opens a part.
      await need(2);
      if (buf[0] === 45 && buf[1] === 45) return;
      if (!startsWith(buf, CRLF)) throw new MultipartError("The form data is malformed.");
      buf = buf.subarray(2);
      let headerEnd: number;
      while ((headerEnd = indexOf(buf, HEADER_END)) === -1) {
        if (buf.length > MAX_HEADER_BYTES) throw new MultipartError("A form part's headers are too long.");
        if (!(await fill())) throw new MultipartError("The upload ended before the form did.");
      }
      const headers = new TextDecoder().decode(buf.subarray(0, headerEnd));
      buf = buf.subarray(headerEnd + HEADER_END.length);
      const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? "";
      const param = (key: string) => new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, "i").exec(disposition)?.[1]?.replace(/\\(.)/g, "$1") ?? null;
      const name = param("name");
      if (name === null) throw new MultipartError("A form part has no name.");

      let finished = false;
      let started = false;
      async function* content(): AsyncGenerator<Uint8Array> {
        for (;;) {
          const at = indexOf(buf, delimiter);
          if (at !== -1) {
            const last = buf.subarray(0, at);
            buf = buf.subarray(at + delimiter.length);
            finished = true;
            if (last.length > 0) yield last;
            return;
          }
          // Hold back what could be the start of a delimiter split across chunks.
          const safe = buf.length - (delimiter.length - 1);
          if (safe > 0) {
            const out = buf.subarray(0, safe);
            buf = buf.subarray(safe);
            yield out;
          }
          if (!(await fill())) throw new MultipartError("The upload ended before the form did.");
        }
      }
      const body = content();
      const once: AsyncIterable<Uint8Array> = {
        [Symbol.asyncIterator]() {
          if (started) throw new MultipartError("A form part can be read only once.");
          started = true;
          return body;
        },
      };
      yield {
        name,
        filename: param("filename"),
        body: once,
        async text(maxBytes: number) {
          const decoder = new TextDecoder();
          let out = "";
          let size = 0;
          for await (const chunk of once) {
            size += chunk.length;
            if (size > maxBytes) throw new MultipartError(`The form field "${name}" is too long.`);
            out += decoder.decode(chunk, { stream: true });
          }
          return out + decoder.decode();
        },
      };
      // Skip what the caller left unread (a fresh scan goes on from where its reading stopped).
      if (!finished) {
        started = true;
        for await (const chunk of content()) void chunk;
      }
    }
  } finally {
    // Stopped early (an error, a refused form): the rest of the upload is not wanted.
    if (!ended) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/**
 * A size cap that keeps an upload streaming. hono's bodyLimit reads a body without Content-Length
 * into memory before the handler runs; this one checks Content-Length up front when there is one
 * (Node's parser then reads no more than that), and otherwise counts bytes as they pass and fails
 * the stream, and so the import reading it, past the cap.
 */
export function streamedBodyLimit(maxBytes: number, tooLarge: () => never): MiddlewareHandler {
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body) return next();
    const length = declaredLength(c);
    if (length !== undefined) {
      if (!(length <= maxBytes)) tooLarge();
      return next();
    }
    let size = 0;
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          size += chunk.byteLength;
          if (size > maxBytes) controller.error(new MultipartError(`The upload is larger than ${Math.floor(maxBytes / 2 ** 20)} MB.`));
          else controller.enqueue(chunk);
        },
      }),
    );
    c.req.raw = new Request(c.req.raw, { body: counted, duplex: "half" } as RequestInit);
    return next();
  };
}
