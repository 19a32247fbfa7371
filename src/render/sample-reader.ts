import { emailKey } from "../email-address.ts";
import type { Subscriber } from "../store/subscribers.ts";

/** The stand-in reader for previews and test sends, when no real reader is chosen. */
export function sampleReader(now: number, overrides: Partial<Subscriber> = {}): Subscriber {
  const email = overrides.email ?? "reader@example.com";
  return {
    id: "00000000-0000-4000-8000-000000000000",
    email,
    email_key: emailKey(email),
    name: "Sam",
    timezone: "UTC",
    status: "active",
    created_at: now,
    updated_at: now,
    confirmed_at: now,
    unsubscribed_at: null,
    confirmation_sent_at: null,
    link_sent_at: null,
    consent_at: now,
    consent_ip: null,
    consent_user_agent: null,
    consent_form: "preview",
    consent_text_version: "preview",
    ...overrides,
  };
}
