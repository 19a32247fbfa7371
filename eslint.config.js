import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Kysely's query builders, by the method that starts a query. Only src/store/ may call them: the
// layering rule in .dependency-cruiser.cjs keeps Kysely's values out of other layers, and this
// keeps a `db` handed down as a type from being queried there.
const QUERY_STARTERS = "/^(selectFrom|selectNoFrom|insertInto|replaceInto|updateTable|deleteFrom|mergeInto)$/";

export default tseslint.config(
  { ignores: ["node_modules", "data", "build", "dist", ".toolchain", ".wrangler"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  { files: ["**/*.cjs"], languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly" } } },
  {
    // Route tests drive createApp with the fake dispatcher (test/support/fake-dispatcher.ts) and
    // need no Redis; whatever needs BullMQ or Redis itself belongs in test/integration/.
    files: ["test/routes/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["ioredis", "ioredis/*", "bullmq", "bullmq/*", "**/support/redis.ts", "**/support/real-producer.ts", "**/src/queue/producer.ts", "**/src/queue/redis.ts", "**/src/limits/redis-*", "**/src/http/queues-board.ts"],
              message: "Route tests run without Redis: use the fake dispatcher from test/support/app.ts (makeTestApp / appFor), and put tests that need BullMQ or Redis in test/integration/.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["src/**/*.{ts,tsx}", "workers/**/*.ts", "emails/**/*.{ts,tsx}"],
    ignores: ["src/store/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: `CallExpression[callee.property.name=${QUERY_STARTERS}]`,
          message: "SQL lives in src/store/: add a store function and call it.",
        },
      ],
    },
  },
);
