/** @jsxImportSource hono/jsx */
import { API_SCOPES, SCOPE_DESCRIPTIONS } from "../../../commands/api-keys.ts";
import type { ApiKeySummary } from "../../../commands/api-keys.ts";
import { adminLayout } from "./layout.tsx";
import { ActionForm, Notice } from "./parts.tsx";
import type { Html } from "./parts.tsx";

const when = (t: number | null) => (t === null ? "never" : new Date(t).toISOString().slice(0, 16).replace("T", " ") + " UTC");

export interface KeysPageInput {
  keys: ApiKeySummary[];
  /** Right after creating a key: the key itself, shown on this one page and never again. */
  created?: { key: string; summary: ApiKeySummary } | undefined;
  error?: string | undefined;
  message?: string | undefined;
  /** The form as the admin filled it, kept after a refusal. */
  values?: { name: string; scopes: readonly string[] } | undefined;
}

/** API keys: who may script what, each key shown once at creation and revocable at any time. */
export function keysPage(input: KeysPageInput): Html {
  const values = input.values ?? { name: "", scopes: [] };
  return adminLayout(
    "API keys",
    "keys",
    <>
      <h1>API keys</h1>
      <Notice message={input.message} />
      <p class="muted">
        Keys let scripts and other services use <code>/admin/api</code> with <code>Authorization: Bearer &lt;key&gt;</code>, each limited to its scopes. Only a hash of a key is kept: it
        is shown once, when it is created. <code>ADMIN_TOKEN</code> stays the owner's key, with every scope.
      </p>
      {input.created ? (
        <section class="notice" aria-labelledby="new-key">
          <h2 id="new-key">Your new key “{input.created.summary.name}”</h2>
          <p>Copy it now: it is not shown again. Anyone holding it can do what its scopes allow ({input.created.summary.scopes.join(", ")}).</p>
          <p>
            <label for="new-key-value">Key</label>
            <input id="new-key-value" type="text" readonly value={input.created.key} class="key-value" />
          </p>
        </section>
      ) : null}

      <h2>Keys</h2>
      {input.keys.length === 0 ? (
        <p>No API keys yet.</p>
      ) : (
        // Focusable: on a phone the table scrolls sideways inside itself, and the keyboard must reach that too.
        <table class="keys" tabindex={0} aria-label="API keys">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {input.keys.map((k) => (
              <tr data-key={k.id}>
                <td>{k.name}</td>
                <td>
                  <code>{k.hint}…</code>
                </td>
                <td>{k.scopes.join(", ")}</td>
                <td>{when(k.createdAt)}</td>
                <td>{when(k.lastUsedAt)}</td>
                <td>
                  {k.revokedAt === null ? (
                    <ActionForm action={`/admin/keys/${k.id}/revoke`} label={`Revoke “${k.name}”`} danger={true} />
                  ) : (
                    `Revoked ${when(k.revokedAt)}`
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2 id="create-key">Create a key</h2>
      <form class="card" method="post" action="/admin/keys" aria-labelledby="create-key">
        {input.error ? (
          <p class="error" role="alert">
            {input.error}
          </p>
        ) : null}
        <label for="k-name">Name</label>
        <input id="k-name" type="text" name="name" maxlength={100} required value={values.name} />
        <p class="hint">Who uses it, such as “CRM sync” or “Nightly report”.</p>
        <fieldset>
          <legend>Scopes</legend>
          {API_SCOPES.map((scope) => (
            <label>
              <input type="checkbox" name="scopes" value={scope} checked={values.scopes.includes(scope)} /> <code>{scope}</code>: {SCOPE_DESCRIPTIONS[scope]}
            </label>
          ))}
        </fieldset>
        <button type="submit">Create key</button>
      </form>
    </>,
  );
}
