import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../../../src/commands/emit-event.ts";
import type { DeliveryLogEntry } from "../../../src/commands/webhook-endpoints.ts";
import { webhooksPage } from "../../../src/http/views/admin/webhooks.tsx";
import type { WebhookEndpoint } from "../../../src/store/outgoing-webhooks.ts";
import { expectSoundPage, labelOf, render } from "./page-checks.ts";

const HOSTILE = `<script>alert("x")</script>`;

const endpoint = (overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  id: "ep_1",
  url: `https://hooks.example.com/in?x=${HOSTILE}`,
  events: ["lesson.sent"],
  secret_sealed: "v1.sealed",
  enabled: 1,
  disabled_reason: null,
  failing_since: null,
  created_at: 0,
  updated_at: 0,
  ...overrides,
});

const delivery: DeliveryLogEntry = {
  id: "d1",
  endpoint_id: "ep_1",
  event_id: "evt_1",
  event_type: "lesson.sent",
  subscriber_id: "s1",
  status: "pending",
  attempts: 2,
  last_status_code: 500,
  last_error: HOSTILE,
  last_duration_ms: 12,
  next_attempt_at: 60_000,
  delivered_at: null,
  created_at: 0,
  tries: [],
};

describe("the webhooks console page", () => {
  it("is a sound page: every event checkbox labelled, hostile text escaped, a disabled endpoint shown as such with its reason, replay on every delivery", async () => {
    const doc = await render(
      webhooksPage({ endpoints: [endpoint(), endpoint({ id: "ep_2", enabled: 0, disabled_reason: "failing since 2026-11-01T00:00:00.000Z (24 h)" })], deliveries: [delivery], events: EVENT_TYPES }),
    );
    expectSoundPage(doc, ["app.css", "admin.css"]);
    expect(doc.querySelector('nav[aria-label="Admin"] a[aria-current="page"]')?.textContent).toBe("Webhooks");
    const boxes = [...doc.querySelectorAll('input[type="checkbox"][name="events"]')];
    expect(boxes.map((b) => labelOf(doc, b))).toEqual([...EVENT_TYPES]);
    expect(doc.querySelectorAll("script:not([src])")).toHaveLength(0);
    expect(doc.body.textContent).toContain(HOSTILE);
    expect(doc.body.textContent).toContain("failing since 2026-11-01T00:00:00.000Z (24 h)");
    expect(doc.querySelectorAll(".badge-disabled")).toHaveLength(1);
    expect(doc.querySelector('form[action="/admin/webhooks/ep_2/enable"]')).not.toBeNull();
    expect(doc.querySelector('form[action="/admin/webhooks/deliveries/d1/replay"]')).not.toBeNull();
    expect(doc.querySelector("[data-secret]")).toBeNull();
  });

  it("shows the secret only on the answer that created it", async () => {
    const doc = await render(webhooksPage({ endpoints: [endpoint()], deliveries: [], events: EVENT_TYPES, secret: "whsec_abc" }));
    expect(doc.querySelector("[data-secret]")?.textContent).toBe("whsec_abc");
  });
});
