import { main } from "./boot.ts";

// HTTP only (`npm run start:http`): run as many as you need behind a load balancer.
await main(["http"]);
