/** @jsxImportSource hono/jsx */
import type { JsonSchema, OpenApiDocument, OpenApiOperation } from "../../openapi.ts";
import { adminLayout } from "./layout.tsx";
import type { Html } from "./parts.tsx";

/**
 * The API reference for people: the OpenAPI document itself, rendered here with no script and no
 * outside asset, so the page and /admin/api/openapi.json never disagree. Every endpoint is a
 * section (no wide table), so it reads on a phone.
 */

/** A JSON Schema in a few words: "string, at most 200", `"true" or "false"`, "array of string". */
export function typeLabel(schema: JsonSchema | undefined): string {
  if (!schema || Object.keys(schema).length === 0 || (schema.description && Object.keys(schema).length === 1)) return "any";
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" or ");
  if (schema.anyOf) return schema.anyOf.map(typeLabel).join(" or ");
  if ("const" in schema) return JSON.stringify(schema.const);
  const type = Array.isArray(schema.type) ? schema.type.join(" or ") : (schema.type ?? "any");
  if (type === "array") return `array of ${typeLabel(schema.items)}`;
  const limits: string[] = [];
  if (typeof schema.minimum === "number" && typeof schema.maximum === "number") limits.push(`${schema.minimum} to ${schema.maximum}`);
  else if (typeof schema.maximum === "number") limits.push(`at most ${schema.maximum}`);
  if (typeof schema.maxLength === "number") limits.push(`at most ${schema.maxLength} characters`);
  if (schema.default !== undefined) limits.push(`default ${JSON.stringify(schema.default)}`);
  return limits.length > 0 ? `${type}, ${limits.join(", ")}` : type;
}

interface Field {
  name: string;
  where: string;
  required: boolean;
  type: string;
  description: string | undefined;
}

function FieldList(props: { fields: Field[]; label: string }) {
  if (props.fields.length === 0) return null;
  return (
    <dl class="api-fields" aria-label={props.label}>
      {props.fields.map((f) => (
        <>
          <dt>
            <code>{f.name}</code> <span class="muted">({[f.where, f.type, f.required ? "required" : "optional"].join(", ")})</span>
          </dt>
          <dd>{f.description ?? ""}</dd>
        </>
      ))}
    </dl>
  );
}

function bodyFields(op: OpenApiOperation): { types: string[]; fields: Field[]; whole: JsonSchema | undefined } | undefined {
  if (!op.requestBody) return undefined;
  const types = Object.keys(op.requestBody.content);
  const schema = op.requestBody.content[types[0]!]!.schema;
  const fields = Object.entries(schema.properties ?? {}).map(([name, s]) => ({ name, where: "body", required: schema.required?.includes(name) ?? false, type: typeLabel(s), description: s.description }));
  return { types, fields, whole: schema.properties ? undefined : schema };
}

function Endpoint(props: { method: string; path: string; op: OpenApiOperation }) {
  const { method, path, op } = props;
  const id = op.operationId;
  const params = (op.parameters ?? []).map((p) => ({ name: p.name, where: p.in, required: p.required, type: typeLabel(p.schema), description: p.description }));
  const body = bodyFields(op);
  return (
    <section class="api-endpoint" aria-labelledby={id}>
      <h3 id={id}>
        <code>
          {method.toUpperCase()} {path}
        </code>
      </h3>
      <p>{op.summary}</p>
      {op.description ? <p class="muted">{op.description}</p> : null}
      <p>
        Scope: <code>{op["x-scope"]}</code>
      </p>
      {params.length > 0 ? (
        <>
          <h4>Parameters</h4>
          <FieldList fields={params} label={`Parameters of ${method.toUpperCase()} ${path}`} />
        </>
      ) : null}
      {body ? (
        <>
          <h4>Body</h4>
          <p class="muted">
            {body.types.map((t, i) => (
              <>
                {i > 0 ? " or " : ""}
                <code>{t}</code>
              </>
            ))}
            {op.requestBody?.required ? "" : " (optional)"}
            {body.whole?.description ? `: ${body.whole.description}` : ""}
          </p>
          <FieldList fields={body.fields} label={`Body fields of ${method.toUpperCase()} ${path}`} />
        </>
      ) : null}
      <h4>Answers</h4>
      <ul class="api-answers">
        {Object.entries(op.responses).map(([status, r]) => (
          <li>
            <strong>{status}</strong> {r.description}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function apiDocsPage(doc: OpenApiDocument): Html {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ method, path, op })));
  return adminLayout(
    "API reference",
    "api",
    <div class="api-docs">
      <h1>API reference</h1>
      <p>
        Every endpoint of <code>/admin/api</code>, with the scope it needs. Send <code>Authorization: Bearer &lt;key&gt;</code> with <code>ADMIN_TOKEN</code> or a key made on the{" "}
        <a href="/admin/keys">API keys</a> page. Every answer is JSON; a refusal is <code>{'{"error": {"code", "message"}}'}</code>. The same reference as an OpenAPI 3.1 document, for
        client generators: <a href="/admin/api/openapi.json">/admin/api/openapi.json</a>.
      </p>
      <nav aria-label="Endpoint groups">
        <ul class="api-groups">
          {doc.tags.map((tag) => (
            <li>
              <a href={`#group-${tag.name.toLowerCase()}`}>{tag.name}</a>
            </li>
          ))}
        </ul>
      </nav>
      {doc.tags.map((tag) => (
        <section aria-labelledby={`group-${tag.name.toLowerCase()}`}>
          <h2 id={`group-${tag.name.toLowerCase()}`}>{tag.name}</h2>
          {operations
            .filter(({ op }) => op.tags.includes(tag.name))
            .map(({ method, path, op }) => (
              <Endpoint method={method} path={path} op={op} />
            ))}
        </section>
      ))}
    </div>,
  );
}
