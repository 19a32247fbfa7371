import { main } from "./boot.ts";

// Workers only (`npm run start:workers`): the send worker and the scheduler tick.
await main(["workers"]);
