import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration suites share one Redis and one PostgreSQL server; each test isolates itself
    // with its own key prefix / database schema, so files may run in parallel.
    pool: "forks",
    globalSetup: ["test/support/global-setup.ts"],
  },
});
