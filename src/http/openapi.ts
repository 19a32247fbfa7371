import { z } from "zod";
import { SCOPE_DESCRIPTIONS } from "../commands/api-keys.ts";
import type { ApiScope } from "../commands/api-keys.ts";
import { API_OPERATIONS, errorAnswer } from "./api-schemas.ts";
import type { ApiOperation } from "./api-schemas.ts";
import { scopeFor } from "./api-scopes.ts";

/**
 * The OpenAPI 3.1 document of /admin/api, built from the registry in ./api-schemas.ts: the same
 * zod objects the routes validate with, turned into JSON Schema by zod itself (draft 2020-12,
 * which is OpenAPI 3.1's own dialect), and the scope of each route from ./api-scopes.ts. Nothing
 * here is written twice by hand, so the document cannot drift from what the routes check.
 */

export type JsonSchema = Record<string, unknown> & {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  default?: unknown;
};

export interface OpenApiParameter {
  name: string;
  in: "path" | "query";
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  "x-scope": ApiScope;
  security: Record<string, string[]>[];
  parameters?: OpenApiParameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
}

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  tags: { name: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, JsonSchema> };
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "The request is malformed: a body that is not valid JSON, or a query value out of range.",
  401: "No credentials, or an unknown or revoked key.",
  403: "The key lacks the scope this route needs (insufficient_scope).",
  404: "There is no such resource.",
  409: "Not possible in the resource's present state.",
  413: "The request is too large.",
  422: "A field is missing or not valid; the code and message say which.",
};

/** A zod schema as JSON Schema 2020-12, describing what a client may send (`input`) or receives. */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  // Transforms (a trimmed name, a normalised address) have no JSON Schema; their input side does.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

/** `/admin/api/subscribers/:id` → `/admin/api/subscribers/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, "{$1}");
}

/** `POST /admin/api/subscribers/:id/send-lesson` → `postSubscribersByIdSendLesson`. */
function operationId(method: string, path: string): string {
  const words = path
    .replace(/^\/admin\/api\/?/, "")
    .split("/")
    .filter(Boolean)
    .map((segment) => (segment.startsWith(":") ? `by-${segment.slice(1)}` : segment))
    .join("-")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
}

function parametersOf(path: string, op: ApiOperation): OpenApiParameter[] {
  const params: OpenApiParameter[] = [...path.matchAll(/:(\w+)/g)].map(([, name]) => ({
    name: name!,
    in: "path",
    required: true,
    description: op.params?.[name!] ?? name!,
    schema: { type: "string" },
  }));
  if (op.query) {
    const query = jsonSchemaOf(op.query, "input");
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      const { description, ...rest } = schema;
      params.push({ name, in: "query", required: query.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest });
    }
  }
  return params;
}

const ERROR_REF = { $ref: "#/components/schemas/Error" };

function operationOf(key: string, op: ApiOperation): OpenApiOperation {
  const [method, path] = key.split(" ") as [string, string];
  const scope = scopeFor(method, path);
  const parameters = parametersOf(path, op);
  const responses: OpenApiOperation["responses"] = {
    [String(op.ok.status)]: {
      description: op.ok.description,
      ...(op.ok.contentType === "text/html"
        ? { content: { "text/html": { schema: { type: "string" } } } }
        : { content: { "application/json": { schema: op.ok.schema ? jsonSchemaOf(op.ok.schema, "output") : { type: "object" } } } }),
    },
  };
  for (const status of [...new Set([...op.errors, 401, 403])].sort()) {
    responses[String(status)] = { description: ERROR_DESCRIPTIONS[status] ?? "Refused.", content: { "application/json": { schema: ERROR_REF } } };
  }
  return {
    operationId: operationId(method, path),
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    "x-scope": scope,
    // Bearer schemes have no OAuth scopes; OpenAPI 3.1 lets the list carry the role needed instead.
    security: [{ bearerAuth: [scope] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required ?? false,
            content: Object.fromEntries(op.body.contentTypes.map((type) => [type, { schema: jsonSchemaOf(op.body!.schema, "input") }])),
          },
        }
      : {}),
    responses,
  };
}

function build(operations: Readonly<Record<string, ApiOperation>>): OpenApiDocument {
  const paths: OpenApiDocument["paths"] = {};
  for (const [key, op] of Object.entries(operations)) {
    const [method, path] = key.split(" ") as [string, string];
    (paths[openApiPath(path)] ??= {})[method.toLowerCase()] = operationOf(key, op);
  }
  const tags = [...new Set(Object.values(operations).map((op) => op.tag))].map((name) => ({ name }));
  const scopes = Object.entries(SCOPE_DESCRIPTIONS)
    .map(([scope, what]) => `\`${scope}\`: ${what}`)
    .join("; ");
  return {
    openapi: "3.1.0",
    info: {
      title: "Lessonpost admin API",
      version: "1",
      description:
        "Every answer is JSON, errors included: `{ \"error\": { \"code\", \"message\" } }`. " +
        `Authenticate with \`Authorization: Bearer <ADMIN_TOKEN or an API key>\`. Each route needs one scope (\`x-scope\`): ${scopes}. ` +
        "ADMIN_TOKEN has every scope.",
    },
    servers: [{ url: "/" }],
    tags,
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN or an API key made under /admin/keys." } },
      schemas: { Error: jsonSchemaOf(errorAnswer, "output") },
    },
  };
}

let cached: OpenApiDocument | undefined;

/** The document; the registry is static, so it is built once per process. */
export function openApiDocument(): OpenApiDocument {
  cached ??= build(API_OPERATIONS);
  return cached;
}
