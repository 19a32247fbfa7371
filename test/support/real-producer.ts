import { createProducer } from "../../src/queue/producer.ts";
import type { Producer } from "../../src/queue/producer.ts";
import type { Database } from "../../src/store/database.ts";
import { deleteKeys, REDIS_URL, uniquePrefix } from "./redis.ts";

/**
 * The real BullMQ producer on real Redis under a key prefix of its own, for the integration tests
 * that need the queue itself (job counts, the board, Redis-backed limiters). Route tests use the
 * fake dispatcher instead (./fake-dispatcher.ts). Closing it also removes its keys.
 */
export interface TestProducer extends Producer {
  prefix: string;
}

export function makeTestProducer(db: Database): TestProducer {
  const prefix = uniquePrefix("producer");
  const producer = createProducer({ redisUrl: REDIS_URL, prefix, db });
  return {
    ...producer,
    prefix,
    async close() {
      await producer.close();
      await deleteKeys(prefix);
    },
  };
}
