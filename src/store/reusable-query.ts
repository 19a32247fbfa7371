import { CompiledQuery } from "kysely";
import type { Compilable, DialectAdapter, QueryResult } from "kysely";
import type { Database } from "./database.ts";

type Params = Record<string, unknown>;

/** Where each bound parameter of a compiled query comes from: a named value of the call, or a constant of the query. */
type Slot = { from: string } | { constant: unknown };

interface Template {
  sql: string;
  slots: Slot[];
}

const MARK = "\u0000lessonpost-param:";
const marker = (name: string) => `${MARK}${name}\u0000`;

/**
 * A query that Kysely builds and compiles once for each database dialect and each set of defined
 * parameters, after which a call only binds values. Kysely rebuilds its operation tree and compiles
 * it to SQL on every execution: on the signup path, five small statements a request, that was
 * about an eighth of the HTTP process's CPU in a profile of the signup benchmark (half as much as
 * SQLite spent running them).
 *
 * How: `build` is called once with a marker string in place of every defined parameter, and the
 * compiled query's parameter list then says which value goes where. So `build` must use its
 * parameters as values only: a parameter that steers the JavaScript (`params.x ? … : …`), is
 * joined into another string, or lands in the SQL text cannot be bound later, and the first call
 * throws rather than run a query that would differ from the one Kysely builds. Parameters that
 * are `undefined` are left out of an insert's columns by Kysely, so they give their own template.
 */
export function reusableQuery<P extends Params, R>(build: (db: Database, params: P) => Compilable<R>): (db: Database, params: P) => Promise<QueryResult<R>> {
  // By adapter: a transaction shares its database's, and SQLite and PostgreSQL differ in SQL.
  const templates = new WeakMap<DialectAdapter, Map<string, Template>>();
  return async (db, params) => {
    const adapter = db.getExecutor().adapter;
    let byShape = templates.get(adapter);
    if (!byShape) templates.set(adapter, (byShape = new Map()));
    let shape = "";
    for (const name in params) shape += params[name] === undefined ? `${name}- ` : `${name} `;
    let template = byShape.get(shape);
    if (!template) byShape.set(shape, (template = compileTemplate(db, params, build)));
    const parameters = template.slots.map((slot) => ("from" in slot ? params[slot.from] : slot.constant));
    return (await db.executeQuery(CompiledQuery.raw(template.sql, parameters))) as QueryResult<R>;
  };
}

function compileTemplate<P extends Params, R>(db: Database, params: P, build: (db: Database, params: P) => Compilable<R>): Template {
  const marked: Params = {};
  const names = new Map<string, string>();
  for (const name in params) {
    if (params[name] === undefined) {
      marked[name] = undefined;
      continue;
    }
    marked[name] = marker(name);
    names.set(marker(name), name);
  }
  const compiled = build(db, marked as P).compile();
  if (compiled.sql.includes(MARK)) throw new Error(`reusableQuery: a parameter was written into the SQL text instead of bound: ${compiled.sql}`);
  const slots = compiled.parameters.map((value): Slot => {
    if (typeof value === "string" && value.includes(MARK)) {
      const name = names.get(value);
      if (name === undefined) throw new Error(`reusableQuery: a parameter was changed before it was bound (${JSON.stringify(value)})`);
      return { from: name };
    }
    return { constant: value };
  });
  const used = new Set(slots.flatMap((slot) => ("from" in slot ? [slot.from] : [])));
  const unused = [...names.values()].filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`reusableQuery: parameters that are not bound as values: ${unused.join(", ")}`);
  return { sql: compiled.sql, slots };
}
