import { main } from "../src/boot.ts";

// Workers only (`npm run start:workers`): the send worker and the scheduler tick.
await main(["workers"]);
