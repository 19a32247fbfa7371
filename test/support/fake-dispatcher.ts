import type { Dispatcher } from "../../src/queue/dispatcher.ts";
import type { TestSend } from "../../src/queue/queues.ts";
import type { Database } from "../../src/store/database.ts";
import { markBatchEnqueued, markEnqueued } from "../../src/store/sends.ts";

/**
 * The queue as route tests see it: a Dispatcher that keeps what it was handed instead of talking
 * to Redis. It honours the Dispatcher contract the way the real producer does (rows handed over
 * are marked in the ledger, unless the caller marked them already), so a test can check both what
 * reached the queue and the ledger, which stays the source of truth.
 */
export interface FakeDispatcher extends Required<Dispatcher> {
  /** Every send id handed to the queue, in order; an id handed over twice appears twice. */
  readonly sends: readonly string[];
  readonly batches: readonly string[];
  readonly tests: readonly TestSend[];
  /**
   * From now on every hand-over throws, as the producer does while Redis is unreachable; nothing
   * is recorded or marked. `recover()` ends it.
   */
  fail(error?: Error): void;
  recover(): void;
}

export function createFakeDispatcher(db: Database): FakeDispatcher {
  const sends: string[] = [];
  const batches: string[] = [];
  const tests: TestSend[] = [];
  let failure: Error | undefined;

  // Closures, not methods: the app may call enqueueTest detached from the dispatcher.
  const reachable = (): void => {
    if (failure) throw failure;
  };
  return {
    sends,
    batches,
    tests,
    async enqueueSends(sendIds, options) {
      if (sendIds.length === 0) return;
      reachable();
      sends.push(...sendIds);
      // Wall-clock time, as the producer writes it: the mark says when Redis got the row.
      if (!options?.alreadyMarked) await markEnqueued(db, sendIds, Date.now());
    },
    async enqueueBatches(batchIds) {
      if (batchIds.length === 0) return;
      reachable();
      batches.push(...batchIds);
      await markBatchEnqueued(db, batchIds, Date.now());
    },
    async enqueueTest(test) {
      reachable();
      tests.push({ ...test });
    },
    fail(error = new Error("Redis is not connected (reconnecting)")) {
      failure = error;
    },
    recover() {
      failure = undefined;
    },
  };
}
