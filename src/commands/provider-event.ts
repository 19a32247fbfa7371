import { errorMessage, malformed } from "../errors.ts";
import { readResendEvent, recordProviderEvent } from "../store/provider-events.ts";
import type { RecordOutcome } from "../store/provider-events.ts";
import { emitProviderEvent } from "./emit-event.ts";
import { checkComplaintRate } from "./sending-guard.ts";
import type { Services } from "./services.ts";

export interface ProviderDelivery {
  /** The delivery id (webhook-id / svix-id), already proven by the signature check. */
  deliveryId: string;
  /** The body exactly as signed, kept with the event. */
  rawBody: string;
  /** The same body, parsed. */
  body: unknown;
}

/**
 * A verified Resend delivery event: recorded once by its delivery id and acted on (ledger row,
 * suppression) only the first time it is seen; a replay changes nothing.
 */
export async function recordResendDelivery(services: Services, delivery: ProviderDelivery): Promise<RecordOutcome> {
  const event = readResendEvent(delivery.deliveryId, delivery.rawBody, delivery.body);
  if (!event) throw malformed("invalid_json", "The body is not a JSON object.", "Something is not right");
  const outcome = await recordProviderEvent(services.db, event, services.now());
  if (outcome.recorded) await emitProviderEvent(services, { providerEventId: delivery.deliveryId, type: event.type, sendId: outcome.sendId });
  services.log.info(outcome.recorded ? "webhook recorded" : "webhook replayed", { event: delivery.deliveryId, type: event.type, send: outcome.sendId, suppressed: outcome.suppressed });
  // A new complaint may tip the complaint rate over the limit: check it now, not at the next tick.
  if (outcome.recorded && event.type === "email.complained") {
    try {
      await checkComplaintRate(services);
    } catch (error) {
      // The event is recorded, and a failed answer would only bring a replay that changes nothing:
      // the tick checks again within a minute.
      services.log.error("complaint-rate check failed", { error: errorMessage(error) });
    }
  }
  return outcome;
}
