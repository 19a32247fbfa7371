import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";

/**
 * Producers and workers want opposite things from a Redis connection (bullmq's production guide):
 * an HTTP request must fail fast when Redis is away, while a worker should wait it out forever.
 */

export function producerConnection(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  } satisfies RedisOptions);
}

export function workerConnection(url: string): Redis {
  return new Redis(url, {
    // BullMQ requires null here for blocking commands; reconnects go on until Redis is back.
    maxRetriesPerRequest: null,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 250, 5_000),
  } satisfies RedisOptions);
}

/**
 * Start-up check: one PING with a deadline, so a missing Redis ends start-up with a clear message
 * instead of a reconnect loop.
 */
export async function pingRedis(url: string, timeoutMs: number): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await withTimeout(
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      timeoutMs,
    );
  } finally {
    client.disconnect();
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
