import type { Health } from "../../commands/check-health.ts";

/** GET /healthz: which dependency failed, and why, for the operator's probe. */
export function healthBody(health: Health) {
  return { ok: health.ok, checks: health.checks };
}
