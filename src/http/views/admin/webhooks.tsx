/** @jsxImportSource hono/jsx */
import type { DeliveryLogEntry } from "../../../commands/webhook-endpoints.ts";
import type { WebhookEndpoint } from "../../../store/outgoing-webhooks.ts";
import { adminLayout } from "./layout.tsx";
import { ActionForm, formatAt, Notice, StatusBadge, TableBox } from "./parts.tsx";
import type { Html } from "./parts.tsx";

const ZONE = "UTC";

function EndpointRow(props: { endpoint: WebhookEndpoint }) {
  const e = props.endpoint;
  return (
    <tr>
      <td>
        <code>{e.url}</code>
      </td>
      <td>{e.events.join(", ")}</td>
      <td>
        {e.enabled === 1 ? <StatusBadge status="enabled" /> : <StatusBadge status="disabled" />}
        {e.enabled !== 1 && e.disabled_reason ? <p class="muted">{e.disabled_reason}</p> : null}
        {e.enabled === 1 && e.failing_since !== null ? <p class="muted">failing since {formatAt(e.failing_since, ZONE)}</p> : null}
      </td>
      <td>
        <ActionForm action={`/admin/webhooks/${e.id}/test`} label="Send test event" secondary />
        {e.enabled === 1 ? null : <ActionForm action={`/admin/webhooks/${e.id}/enable`} label="Enable" secondary />}
        <ActionForm action={`/admin/webhooks/${e.id}/delete`} label="Delete" danger />
      </td>
    </tr>
  );
}

function DeliveryRow(props: { delivery: DeliveryLogEntry; endpoints: Map<string, string> }) {
  const d = props.delivery;
  return (
    <tr>
      <td>{formatAt(d.created_at, ZONE)}</td>
      <td>{d.event_type}</td>
      <td>
        <code>{props.endpoints.get(d.endpoint_id) ?? d.endpoint_id}</code>
      </td>
      <td>
        <StatusBadge status={d.status} />
        {d.status === "pending" && d.attempts > 0 ? <p class="muted">next try {formatAt(d.next_attempt_at, ZONE)}</p> : null}
      </td>
      <td>{d.attempts}</td>
      <td>{d.last_status_code ?? "—"}</td>
      <td>{d.last_duration_ms === null ? "—" : `${d.last_duration_ms} ms`}</td>
      <td>{d.last_error ?? ""}</td>
      <td>
        <ActionForm action={`/admin/webhooks/deliveries/${d.id}/replay`} label="Replay" secondary />
      </td>
    </tr>
  );
}

export function webhooksPage(input: { endpoints: WebhookEndpoint[]; deliveries: DeliveryLogEntry[]; events: readonly string[]; message?: string | undefined; secret?: string | undefined }): Html {
  const names = new Map(input.endpoints.map((e) => [e.id, e.url]));
  return adminLayout(
    "Webhooks",
    "webhooks",
    <>
      <h1>Webhooks</h1>
      <Notice message={input.message} />
      {input.secret ? (
        <section class="card" aria-labelledby="secret-heading">
          <h2 id="secret-heading">Signing secret</h2>
          <p>Copy it now: it is shown only once. Verify every delivery with it (Standard Webhooks).</p>
          <p>
            <code data-secret="">{input.secret}</code>
          </p>
        </section>
      ) : null}
      <h2>Endpoints</h2>
      {input.endpoints.length === 0 ? (
        <p class="muted">No endpoints yet.</p>
      ) : (
        <TableBox label="Endpoints">
          <table>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {input.endpoints.map((e) => (
                <EndpointRow endpoint={e} />
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
      <h2>Add an endpoint</h2>
      <form class="card" method="post" action="/admin/webhooks">
        <label for="webhook-url">URL</label>
        <input id="webhook-url" type="url" name="url" required autocomplete="off" />
        <fieldset>
          <legend>Events</legend>
          {input.events.map((name) => (
            <label>
              <input type="checkbox" name="events" value={name} /> {name}
            </label>
          ))}
        </fieldset>
        <button type="submit">Add endpoint</button>
      </form>
      <h2>Delivery log</h2>
      {input.deliveries.length === 0 ? (
        <p class="muted">Nothing delivered yet.</p>
      ) : (
        <TableBox label="Delivery log">
          <table>
            <thead>
              <tr>
                <th scope="col">Event time</th>
                <th scope="col">Event</th>
                <th scope="col">Endpoint</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Response</th>
                <th scope="col">Duration</th>
                <th scope="col">Error</th>
                <th scope="col">Replay</th>
              </tr>
            </thead>
            <tbody>
              {input.deliveries.map((d) => (
                <DeliveryRow delivery={d} endpoints={names} />
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
    </>,
  );
}
