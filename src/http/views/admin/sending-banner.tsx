/** @jsxImportSource hono/jsx */
import type { SendingStatus } from "../../../commands/sending-guard.ts";
import { formatRate, PAUSE_PER_THOUSAND } from "../../../domain/sending-guard.ts";
import { formatAt } from "./parts.tsx";

const LIMIT = `${(PAUSE_PER_THOUSAND / 10).toFixed(1)}%`;

/**
 * The complaint-rate guard on every console page: a pause (why, since when, and the one button
 * that ends it), or a warning when complaints near or pass the limit. Nothing when all is well.
 */
export function SendingBanner(props: { status: SendingStatus | undefined }) {
  const { pause, check } = props.status ?? {};
  if (pause) {
    return (
      <section class="sending-banner paused" role="alert" aria-labelledby="sending-banner-title">
        <h2 id="sending-banner-title">Lessons and newsletters are paused</h2>
        <p>
          Since {formatAt(pause.paused_at, "UTC")}: {pause.reason} Queued emails wait; confirmations and preference links still go out.
        </p>
        <form method="post" action="/admin/sending/resume">
          <button type="submit">Resume sending</button>
        </form>
      </section>
    );
  }
  if (!check || (check.level !== "warn" && check.level !== "pause")) return null;
  const figures = `${formatRate(check.counts)} (${check.counts.complaints} of ${check.counts.delivered} delivered in the last 7 days, as of ${formatAt(check.checkedAt, "UTC")})`;
  return (
    <section class="sending-banner warn" role="status" aria-labelledby="sending-banner-title">
      <h2 id="sending-banner-title">Complaint rate: {formatRate(check.counts)}</h2>
      <p>
        {check.level === "pause"
          ? `Complaints are at ${figures}, over the ${LIMIT} limit. Sending was resumed by an admin; the next complaint pauses it again.`
          : `Complaints are at ${figures}. Lessons and newsletters pause by themselves at ${LIMIT}.`}
      </p>
    </section>
  );
}
