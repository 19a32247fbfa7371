import { main } from "./boot.ts";

// Everything in one process: HTTP, the send worker and the scheduler tick (`npm start`).
await main(["http", "workers"]);
