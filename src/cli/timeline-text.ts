import { readerView } from "../commands/reader-actions.ts";
import type { Services } from "../commands/services.ts";

/** The reader page's timeline and next-lesson sentence, as plain lines for a terminal. */
export async function readerTimelineText(services: Services, subscriberId: string): Promise<string> {
  const { detail, timeline, next } = await readerView(services, subscriberId);
  const { subscriber } = detail;
  return [
    `${subscriber.email} (${subscriber.status}, ${subscriber.timezone})`,
    ...timeline.map((e) => `${new Date(e.at).toISOString()}  ${e.text}`),
    `Next: ${next.sentence}`,
  ].join("\n");
}
