import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration suites share one Redis and one PostgreSQL server; each test isolates itself
    // with its own key prefix / database schema, so files may run in parallel.
    pool: "forks",
    // Vitest's default on a 2-core machine is one fork, so the suite ran file after file. Much of
    // its time is waiting on real clocks (retry backoff, compressed course days, processes starting
    // and being killed); two forks overlap those waits. Tests wait on conditions, not on time, so
    // sharing the cores does not change what they prove.
    maxWorkers: 2,
    globalSetup: ["test/support/global-setup.ts"],
  },
});
