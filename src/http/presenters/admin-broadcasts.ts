import type { NewsletterProgress } from "../../commands/broadcasts.ts";
import { STATUS_LABELS } from "../views/admin/broadcasts.tsx";

/** A newsletter's progress as the page's bar and its JSON poll read it, with the status in words. */
export function presentNewsletterProgress(progress: NewsletterProgress) {
  return { ...progress, statusLabel: STATUS_LABELS[progress.status] };
}
