/**
 * A small structured logger: one line per event, fields as JSON. Callers pass ids, never
 * addresses, tokens or keys, so logs can be shipped anywhere; and because a path or an error
 * message can still carry a link token by accident, every line is redacted on its way out.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * The path segment after each route that takes a link token, and token-like query parameters. The
 * token segment may arrive percent-encoded or not, so anything up to the next separator goes.
 */
const TOKEN_SEGMENT = /(\/(?:unsubscribe|confirm|preferences|email|join|r)(?:\/|%2F))[^/?#\s"'<>\\]+/gi;
const TOKEN_PARAM = /([?&]token=)[^&#\s"'<>\\]+/gi;
/** An API key pasted where it should not be (an error message, a URL) keeps only its prefix. */
const API_KEY = /\b(lp_)[A-Za-z0-9_-]{20,}/g;

/** Removes link tokens from any text bound for a log: paths, URLs, error messages. */
export function redactTokens(text: string): string {
  return text.replace(TOKEN_SEGMENT, "$1[redacted]").replace(TOKEN_PARAM, "$1[redacted]").replace(API_KEY, "$1[redacted]");
}

function redactFields(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) out[key] = typeof value === "string" ? redactTokens(value) : value;
  return out;
}

export function createLogger(level: LogLevel = "info", write: (line: string) => void = (line) => console.log(line)): Logger {
  const emit = (at: LogLevel) => (message: string, fields?: LogFields) => {
    if (ORDER[at] < ORDER[level]) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(redactFields(fields))}` : "";
    write(`${new Date().toISOString()} ${at.padEnd(5)} ${redactTokens(message)}${extra}`);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
