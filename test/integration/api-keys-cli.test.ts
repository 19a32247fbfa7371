import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEntry } from "../support/processes.ts";
import { startStack } from "../support/stack.ts";
import type { Stack } from "../support/stack.ts";

/**
 * `npm run admin -- keys …` against a running service: a key made on the command line opens the
 * service's API with its scopes, and revoking it there shuts it out at once.
 */
describe("admin CLI: API keys", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack("sqlite", { env: { ADMIN_TOKEN: "admin-token-for-tests-0123456789" } });
  });
  afterAll(async () => {
    await stack.stop();
  });

  const cli = async (...args: string[]) => {
    const child = runEntry("src/cli/admin-cli.ts", stack.env, args);
    const { code } = await child.exited;
    return { code, output: child.output() };
  };
  const api = (path: string, key: string) => fetch(`${stack.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });

  it("creates a key that works with its scopes only, lists it without the secret, and revokes it", async () => {
    const created = await cli("keys", "create", "--name", "Nightly report", "--scope", "read", "--scope", "send");
    expect(created.code, created.output).toBe(0);
    const key = /^(lp_[A-Za-z0-9_-]{43})$/m.exec(created.output)?.[1];
    expect(key, created.output).toBeTruthy();
    const id = /Created API key (\S+) "Nightly report" with read, send\./.exec(created.output)?.[1];
    expect(id, created.output).toBeTruthy();

    expect((await api("/admin/api/stats", key!)).status).toBe(200);
    expect((await api("/admin/api/keys", key!)).status).toBe(403);

    const listed = await cli("keys", "list");
    expect(listed.code).toBe(0);
    expect(listed.output).toContain(`${id!}  ${key!.slice(0, 7)}…  "Nightly report"  read,send`);
    expect(listed.output).not.toContain(key!);
    expect(listed.output).not.toMatch(/last used never/);

    const revoked = await cli("keys", "revoke", id!);
    expect(revoked.code, revoked.output).toBe(0);
    expect((await api("/admin/api/stats", key!)).status).toBe(401);
    expect((await cli("keys", "list")).output).toContain("REVOKED");
  });

  it("refuses a key without a scope or with an unknown one (exit 2), and an unknown id (exit 1)", async () => {
    const none = await cli("keys", "create", "--name", "Nothing");
    expect(none.code).toBe(2);
    expect(none.output).toContain("at least one scope");
    const odd = await cli("keys", "create", "--name", "Odd", "--scope", "everything");
    expect(odd.code).toBe(2);
    expect(odd.output).toContain('Unknown scope "everything"');
    const unknown = await cli("keys", "revoke", "00000000-0000-4000-8000-00000000abcd");
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain("There is no API key");
  });
});
