import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { builtEntry } from "../../scripts/build-server.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface Child {
  process: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs an entry point in its own Node process (the same Node as the tests), never through npm, so
 * a signal reaches the service itself and not a wrapper. The service's entry points
 * (`src/main*.ts`) and the admin CLI run as `npm start` and `npm run admin` run them: the bundle in
 * dist/, which the global set-up built from this tree (scripts/build-server.ts). Anything else runs
 * from source through tsx.
 */
export function runEntry(entry: string, env: Record<string, string>, args: string[] = []): Child {
  const bundle = builtEntry(entry);
  const command = bundle ? ["--enable-source-maps", bundle] : ["--import", "tsx", entry];
  const child = spawn(process.execPath, [...command, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return { process: child, output: () => output, exited };
}

/** Ends every child still running (with `signal`) and waits for each to exit. */
export async function stopAll(children: Child[], signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill(signal);
    await child.exited;
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}

/** A private Redis server, so a test can stop and restart it without touching anyone else's. */
export async function startRedisServer(port: number): Promise<{ stop(): Promise<void> }> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", () => reject(new Error(`redis-server exited:\n${out}`)));
  });
  return {
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGKILL");
      await once(child, "exit");
    },
  };
}
