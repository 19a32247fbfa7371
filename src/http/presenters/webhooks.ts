/** What a provider gets back for a delivery we accepted (recorded now, or a replay of one we had). */
export function webhookAccepted() {
  return { ok: true } as const;
}
