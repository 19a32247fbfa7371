/**
 * The layers, top to bottom. A module may import its own layer or any layer below, never one above:
 *
 *   entry      src/main*.ts, src/boot.ts (the composition root)
 *   edges      src/app.ts, src/http/, workers/, src/cli/
 *   commands   src/commands/
 *   services   src/domain/, src/render/, emails/, src/queue/, src/send/, src/limits/
 *   store      src/store/
 *   base       src/content/, src/config.ts, src/log.ts, src/errors.ts, src/text.ts, src/email-address.ts, src/tokens.ts
 *
 * `npm run lint` runs this; eslint.config.js keeps query building inside src/store/.
 */
const ENTRY = "^src/(main[^/]*|boot)\\.ts$";
const EDGES = "^(src/app\\.ts$|src/http/|workers/|src/cli/)";
const COMMANDS = "^src/commands/";
const SERVICES = "^(src/domain/|src/render/|emails/|src/queue/|src/send/|src/limits/)";
const STORE = "^src/store/";
const BASE = "^(src/content/|src/(config|log|errors|text|email-address|tokens)\\.ts$)";

const above = (layer, ...higher) => ({
  name: `no-upward-from-${layer.name}`,
  comment: `${layer.name} must not import a layer above it (${higher.map((h) => h.name).join(", ")}).`,
  severity: "error",
  from: { path: layer.path },
  to: { path: higher.map((h) => h.path) },
});
const L = {
  entry: { name: "entry", path: ENTRY },
  edges: { name: "edges", path: EDGES },
  commands: { name: "commands", path: COMMANDS },
  services: { name: "services", path: SERVICES },
  store: { name: "store", path: STORE },
  base: { name: "base", path: BASE },
};

module.exports = {
  forbidden: [
    above(L.edges, L.entry),
    above(L.commands, L.entry, L.edges),
    above(L.services, L.entry, L.edges, L.commands),
    above(L.store, L.entry, L.edges, L.commands, L.services),
    above(L.base, L.entry, L.edges, L.commands, L.services, L.store),
    {
      name: "no-unlayered-module",
      comment: "Every module under src/, workers/ and emails/ belongs to one layer; put a new folder in .dependency-cruiser.cjs.",
      severity: "error",
      from: { path: "^(src|workers|emails)/", pathNot: [ENTRY, EDGES, COMMANDS, SERVICES, STORE, BASE, "\\.d\\.ts$"] },
      to: {},
    },
    {
      name: "no-circular",
      comment: "Two modules that import each other are one module in two files.",
      severity: "error",
      from: { path: "^(src|workers|emails)/" },
      to: { circular: true },
    },
    {
      name: "no-route-to-route",
      comment: "A route module parses, calls a command and presents; what two routes share is a command or a view. Only the admin router (routes/admin/index.ts) mounts its sub-apps, and the admin API (routes/admin/api.ts) its own (api-*.ts).",
      severity: "error",
      from: { path: "^src/http/routes/", pathNot: ["^src/http/routes/admin/index\\.ts$", "^src/http/routes/admin/api\\.ts$"] },
      to: { path: "^src/http/routes/" },
    },
    {
      name: "domain-is-pure",
      comment: "src/domain/ holds rules with no I/O: it imports only the base layer and itself.",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { path: "^src/", pathNot: ["^src/domain/", BASE] },
    },
    {
      name: "sql-only-in-store",
      comment: "SQL lives in src/store/: elsewhere, Kysely and the drivers may be imported for their types only.",
      severity: "error",
      from: { path: "^(src|workers|emails)/", pathNot: [STORE] },
      to: { path: "node_modules/(kysely|better-sqlite3|pg)/", dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(test|bench|build|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"], extensions: [".ts", ".tsx", ".js"] },
  },
};
