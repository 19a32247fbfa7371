import { errorMessage } from "../errors.ts";
import { Migrator } from "kysely/migration";
import { sql, SqliteAdapter } from "kysely";
import type { Kysely } from "kysely";
import type { Migration, MigrationProvider } from "kysely/migration";

/**
 * Migrations live in code, not in a folder read at run time, so the same list ships inside a
 * Cloudflare Worker bundle. Each one must run unchanged on SQLite and PostgreSQL.
 */

const migrations: Record<string, Migration> = {
  "0001_initial": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("subscribers")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("email", "text", (c) => c.notNull().unique())
        .addColumn("name", "text")
        .addColumn("timezone", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("confirmed_at", "bigint")
        .addColumn("unsubscribed_at", "bigint")
        .addColumn("confirmation_sent_at", "bigint")
        .addColumn("consent_at", "bigint", (c) => c.notNull())
        .addColumn("consent_ip", "text")
        .addColumn("consent_user_agent", "text")
        .addColumn("consent_form", "text", (c) => c.notNull())
        .addColumn("consent_text_version", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("subscribers_status_idx").on("subscribers").columns(["status", "created_at"]).execute();

      await db.schema
        .createTable("enrollments")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("subscriber_id", "text", (c) => c.notNull().references("subscribers.id").onDelete("cascade"))
        .addColumn("course_slug", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("started_at", "bigint", (c) => c.notNull())
        .addColumn("next_slug", "text")
        .addColumn("next_due_at", "bigint")
        .addColumn("last_day", "integer", (c) => c.notNull())
        .addColumn("last_sent_at", "bigint")
        .addColumn("completed_at", "bigint")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("enrollments_subscriber_course_uq", ["subscriber_id", "course_slug"])
        .execute();
      // The scheduler's only hot query: active enrollments whose next email is due.
      await db.schema.createIndex("enrollments_due_idx").on("enrollments").columns(["status", "next_due_at"]).execute();

      await db.schema
        .createTable("sends")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("dedupe_key", "text", (c) => c.notNull().unique())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("subscriber_id", "text", (c) => c.notNull().references("subscribers.id").onDelete("cascade"))
        .addColumn("enrollment_id", "text")
        .addColumn("lesson_slug", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("provider_id", "text")
        .addColumn("error", "text")
        .addColumn("enqueued_at", "bigint")
        .addColumn("sent_at", "bigint")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("sends_status_enqueued_idx").on("sends").columns(["status", "enqueued_at"]).execute();
      await db.schema.createIndex("sends_subscriber_idx").on("sends").columns(["subscriber_id", "created_at"]).execute();

      await db.schema
        .createTable("consent_events")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("subscriber_id", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .addColumn("ip", "text")
        .addColumn("user_agent", "text")
        .addColumn("detail", "text")
        .execute();
      await db.schema.createIndex("consent_events_subscriber_idx").on("consent_events").columns(["subscriber_id", "at"]).execute();
    },
  },
  "0002_batches_and_course_state": {
    async up(db: Kysely<unknown>) {
      // Emails due together go to the provider in batches of up to 100; a batch's membership is
      // stored so a retry after a crash sends the identical request under the same key.
      await db.schema.alterTable("sends").addColumn("batch_id", "text").execute();
      await db.schema.createIndex("sends_batch_idx").on("sends").column("batch_id").execute();
      await db.schema
        .createTable("course_state")
        .addColumn("course_slug", "text", (c) => c.primaryKey())
        .addColumn("paused", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("schedule_version", "text")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
    },
  },
  "0003_readers_rights": {
    async up(db: Kysely<unknown>) {
      // Provider events, one row per event id: a replayed webhook delivery is recorded once.
      await db.schema
        .createTable("webhook_events")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("provider_email_id", "text")
        .addColumn("send_id", "text")
        .addColumn("occurred_at", "bigint")
        .addColumn("received_at", "bigint", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("webhook_events_email_idx").on("webhook_events").column("provider_email_id").execute();
      await db.schema.createIndex("sends_provider_idx").on("sends").column("provider_id").execute();
      // The scheduler asks, per due enrollment, whether its previous email is still unsettled.
      await db.schema.createIndex("sends_enrollment_status_idx").on("sends").columns(["enrollment_id", "status"]).execute();
      for (const column of ["delivered_at", "delayed_at", "opened_at", "clicked_at", "bounced_at", "complained_at"]) {
        await db.schema.alterTable("sends").addColumn(column, "bigint").execute();
      }
      await db.schema.alterTable("sends").addColumn("last_event", "text").execute();
      // Addresses that must never be mailed by accident, kept as a one-way hash only.
      await db.schema
        .createTable("suppressions")
        .addColumn("email_hash", "text", (c) => c.primaryKey())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      // "Pause for a week" resumes by itself.
      await db.schema.alterTable("enrollments").addColumn("paused_until", "bigint").execute();
    },
  },
  "0004_broadcasts": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("broadcasts")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("markdown", "text")
        .addColumn("lesson_slug", "text")
        .addColumn("audience", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("scheduled_at", "bigint")
        .addColumn("started_at", "bigint")
        .addColumn("finished_at", "bigint")
        // Recipients are turned into ledger rows page by page; this is the last subscriber id done.
        .addColumn("cursor", "text")
        .addColumn("materialized", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.alterTable("sends").addColumn("broadcast_id", "text").execute();
      await db.schema.createIndex("sends_broadcast_idx").on("sends").columns(["broadcast_id", "status"]).execute();
    },
  },
  "0005_admin_indexes": {
    async up(db: Kysely<unknown>) {
      // The admin reader list pages newest first by (created_at, id): without this, every page
      // sorts the whole table (measured 130-190 ms at 100,000 readers; 4-13 ms with it).
      await db.schema.createIndex("subscribers_created_idx").on("subscribers").columns(["created_at", "id"]).execute();
    },
  },
  "0006_reader_identity": {
    async up(db: Kysely<unknown>) {
      // One mailbox is one reader: `Victim@`, `victim@` and `VICTIM@` must meet on one row. The key
      // is computed by the database (addresses are ASCII by then: emailSchema punycodes the domain
      // and refuses non-ASCII local parts), so every insert, old or new, gets it for free.
      // Existing duplicates keep the oldest row; the younger ones and what hangs off them go.
      const dupes = await sql<{ id: string }>`
        select s.id from subscribers s
        where exists (select 1 from subscribers o where lower(o.email) = lower(s.email) and (o.created_at < s.created_at or (o.created_at = s.created_at and o.id < s.id)))`.execute(db);
      for (const { id } of dupes.rows) {
        await sql`delete from webhook_events where send_id in (select id from sends where subscriber_id = ${id})`.execute(db);
        await sql`delete from consent_events where subscriber_id = ${id}`.execute(db);
        await sql`delete from sends where subscriber_id = ${id}`.execute(db);
        await sql`delete from enrollments where subscriber_id = ${id}`.execute(db);
        await sql`delete from subscribers where id = ${id}`.execute(db);
      }
      // SQLite can only add a virtual generated column; PostgreSQL (before 18) only a stored one.
      const kind = db.getExecutor().adapter instanceof SqliteAdapter ? sql`virtual` : sql`stored`;
      await sql`alter table subscribers add column email_key text generated always as (lower(email)) ${kind}`.execute(db);
      await db.schema.createIndex("subscribers_email_key_uq").on("subscribers").column("email_key").unique().execute();
      // The fresh-link email has its own anti-flood window, held here so it survives a Redis outage.
      await db.schema.alterTable("subscribers").addColumn("link_sent_at", "bigint").execute();
    },
  },
  "0007_engine_holds": {
    async up(db: Kysely<unknown>) {
      // The request a row went out in, kept from just before it leaves until the provider answers
      // for it: a retry within the provider's 24 h window repeats it byte for byte, same key.
      await db.schema.alterTable("sends").addColumn("attempted_at", "bigint").execute();
      await db.schema.alterTable("sends").addColumn("request_key", "text").execute();
      // The bytes in a table of their own: SQLite rewrites a whole row on every update, so on
      // `sends` each status change copied the ~15 KB email again (delivery fell from 3,600 to
      // 1,500 emails/s, measured).
      await db.schema
        .createTable("send_requests")
        .addColumn("send_id", "text", (c) => c.primaryKey().references("sends.id").onDelete("cascade"))
        .addColumn("body", "text", (c) => c.notNull())
        .execute();
      // An admin's "skip this lesson": why, kept next to the failure it skipped.
      await db.schema.alterTable("sends").addColumn("skip_reason", "text").execute();
      // When an admin last put a failed row back in the queue (the progress of "retry all failed").
      await db.schema.alterTable("sends").addColumn("retried_at", "bigint").execute();
      await db.schema.createIndex("sends_retried_idx").on("sends").columns(["retried_at", "status"]).execute();
      // Resend answers 409 invalid_idempotent_request only when an email was already sent under
      // that key: those rows were accepted, not failed.
      await sql`update sends set status = 'sent', sent_at = updated_at, error = 'accepted by the provider under this key earlier (409 invalid_idempotent_request); provider id unknown' where status = 'failed' and error like '%invalid_idempotent_request%'`.execute(db);
    },
  },
  "0008_admin_sessions": {
    async up(db: Kysely<unknown>) {
      // Console sessions live here so logout (and "log out everywhere") is real: a saved cookie is
      // worth nothing once its row is gone. The id is a hash of the cookie's secret, never the secret.
      await db.schema
        .createTable("admin_sessions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("admin_sessions_expires_idx").on("admin_sessions").column("expires_at").execute();
    },
  },
  "0009_mail": {
    async up(db: Kysely<unknown>) {
      // The inbox preview line of a newsletter; null = its first words, as before.
      await db.schema.alterTable("broadcasts").addColumn("preview", "text").execute();
    },
  },
  "0010_confirm_reminder": {
    async up(db: Kysely<unknown>) {
      // The tick looks, every second, for pending readers whose confirmation went out between two
      // times (the one reminder is due): a range on this index, however many never confirmed.
      await db.schema.createIndex("subscribers_status_confirmation_idx").on("subscribers").columns(["status", "confirmation_sent_at"]).execute();
    },
  },
  "0011_catalogue": {
    async up(db: Kysely<unknown>) {
      // Several courses in one install. Enrollments already carried their course; a newsletter and
      // a consent record now say which course they are about (null: every course, or all email).
      await db.schema.alterTable("broadcasts").addColumn("course_slug", "text").execute();
      await db.schema.alterTable("consent_events").addColumn("course_slug", "text").execute();
    },
  },
  "0012_click_tracking": {
    async up(db: Kysely<unknown>) {
      // One row per reader, email and link the first time it was followed: the unique key makes a
      // second click (or a scanner's and then the reader's) a no-op. The rows go with their reader
      // and ledger row (erasure deletes both).
      await db.schema
        .createTable("clicks")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("send_id", "text", (c) => c.notNull().references("sends.id").onDelete("cascade"))
        .addColumn("subscriber_id", "text", (c) => c.notNull().references("subscribers.id").onDelete("cascade"))
        .addColumn("course_slug", "text")
        .addColumn("item", "text", (c) => c.notNull())
        .addColumn("link_index", "integer", (c) => c.notNull())
        .addColumn("link_hash", "text", (c) => c.notNull())
        .addColumn("url", "text", (c) => c.notNull())
        .addColumn("clicked_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("clicks_reader_item_link_uq", ["subscriber_id", "item", "link_hash"])
        .execute();
      // The reader's timeline reads by reader; per-email figures and cascading deletes by send.
      await db.schema.createIndex("clicks_subscriber_idx").on("clicks").columns(["subscriber_id", "clicked_at"]).execute();
      await db.schema.createIndex("clicks_send_idx").on("clicks").column("send_id").execute();
    },
  },
  "0016_analytics": {
    async up(db: Kysely<unknown>) {
      // The analytics page groups a course's readers by the week they joined it: a range of this
      // index instead of a scan of every enrollment of every course.
      await db.schema.createIndex("enrollments_course_created_idx").on("enrollments").columns(["course_slug", "created_at"]).execute();
      // "Who left after which lesson" starts from the unsubscribe records, not from all consent.
      await db.schema.createIndex("consent_events_kind_at_idx").on("consent_events").columns(["kind", "at"]).execute();
    },
  },
  "0013_sending_guard": {
    async up(db: Kysely<unknown>) {
      // Each automatic pause of course and newsletter mail, with the figures it was decided on, and
      // the admin's resume. `in_force` is 1 while the pause holds and null once resumed: unique, so
      // two processes deciding at once (a webhook and the tick) leave one pause, never two.
      await db.schema
        .createTable("sending_pauses")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("in_force", "integer", (c) => c.unique())
        .addColumn("paused_at", "bigint", (c) => c.notNull())
        .addColumn("complaints", "integer", (c) => c.notNull())
        .addColumn("delivered", "integer", (c) => c.notNull())
        .addColumn("window_start", "bigint", (c) => c.notNull())
        .addColumn("window_end", "bigint", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("resumed_at", "bigint")
        .addColumn("resumed_by", "text")
        .execute();
      await db.schema.createIndex("sending_pauses_resumed_idx").on("sending_pauses").column("resumed_at").execute();
      // The latest check of the complaint rate (one row): the console's warning reads it, and the
      // tick uses its time to check at most once a minute.
      await db.schema
        .createTable("sending_guard")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("level", "text", (c) => c.notNull())
        .addColumn("complaints", "integer", (c) => c.notNull())
        .addColumn("delivered", "integer", (c) => c.notNull())
        .addColumn("window_start", "bigint", (c) => c.notNull())
        .addColumn("window_end", "bigint", (c) => c.notNull())
        .addColumn("checked_at", "bigint", (c) => c.notNull())
        .execute();
      // The rate counts the emails sent in the last 7 days: a range on sent_at, answered from the
      // index alone (delivered_at and complained_at ride along), however large the ledger grows.
      await db.schema.createIndex("sends_sent_events_idx").on("sends").columns(["sent_at", "delivered_at", "complained_at"]).execute();
      // "New complaints since the admin resumed": complaint events received after a time.
      await db.schema.createIndex("webhook_events_type_received_idx").on("webhook_events").columns(["type", "received_at"]).execute();
    },
  },
  "0015_api_keys": {
    async up(db: Kysely<unknown>) {
      // Keys for scripts and integrations, each with its scopes. Only a SHA-256 of the key is kept,
      // so a copy of the database opens nothing; a revoked key keeps its row (and its name in the
      // list) and is refused from then on.
      await db.schema
        .createTable("api_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("key_hash", "text", (c) => c.notNull().unique())
        .addColumn("key_hint", "text", (c) => c.notNull())
        .addColumn("scopes", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("last_used_at", "bigint")
        .addColumn("revoked_at", "bigint")
        .execute();
    },
  },
  "0014_outgoing_webhooks": {
    async up(db: Kysely<unknown>) {
      const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
      // Where events go. The signing secret is stored sealed with SECRET_KEY (AES-GCM): it must be
      // readable to sign, but a copy of the database alone must not let anyone forge deliveries.
      await db.schema
        .createTable("webhook_endpoints")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("url", "text", (c) => c.notNull())
        .addColumn("events", "text", (c) => c.notNull())
        .addColumn("secret_sealed", "text", (c) => c.notNull())
        .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
        .addColumn("disabled_reason", "text")
        // First failure since the last success: 24 h of nothing but failures disables the endpoint.
        .addColumn("failing_since", "bigint")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      // The outbox: each fact, recorded by the command that made it. `seq` orders one reader's
      // events whatever the clocks say; `dedupe_key` makes a repeated emit (a retried job) a no-op.
      await db.schema
        .createTable("outgoing_events")
        .addColumn("seq", sqlite ? "integer" : "serial", (c) => (sqlite ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn("id", "text", (c) => c.notNull().unique())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("subscriber_id", "text")
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("dedupe_key", "text", (c) => c.unique())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("outgoing_events_subscriber_idx").on("outgoing_events").column("subscriber_id").execute();
      // One row per (endpoint, event): the fact that it must be delivered, and how that went.
      await db.schema
        .createTable("webhook_deliveries")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("endpoint_id", "text", (c) => c.notNull())
        .addColumn("event_id", "text", (c) => c.notNull())
        .addColumn("event_seq", "integer", (c) => c.notNull())
        .addColumn("subscriber_id", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "bigint")
        .addColumn("enqueued_at", "bigint")
        .addColumn("last_status_code", "integer")
        .addColumn("last_error", "text")
        .addColumn("last_duration_ms", "integer")
        .addColumn("delivered_at", "bigint")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("webhook_deliveries_endpoint_event_uq", ["endpoint_id", "event_id"])
        .execute();
      await db.schema.createIndex("webhook_deliveries_due_idx").on("webhook_deliveries").columns(["status", "next_attempt_at"]).execute();
      await db.schema.createIndex("webhook_deliveries_chain_idx").on("webhook_deliveries").columns(["endpoint_id", "subscriber_id", "status", "event_seq"]).execute();
      // Every attempt, for the delivery log.
      await db.schema
        .createTable("webhook_attempts")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("delivery_id", "text", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .addColumn("status_code", "integer")
        .addColumn("duration_ms", "integer", (c) => c.notNull())
        .addColumn("error", "text")
        .execute();
      await db.schema.createIndex("webhook_attempts_delivery_idx").on("webhook_attempts").columns(["delivery_id", "at"]).execute();
    },
  },
  "0017_narrow_write_indexes": {
    async up(db: Kysely<unknown>) {
      // Every index is written on every insert, NULL keys included: a signup's confirmation row (no
      // batch, provider id, enrollment, newsletter, retry or send time yet) and its pending
      // enrollment (nothing due) were paying for seven index entries no query ever looks up. Each
      // query that uses these indexes names the column with =, IN, a range or a join, which both
      // databases accept as proof of IS NOT NULL, so they keep their index:
      //   batch_id        sends of one batch (sends.ts: batch loads, claims, marks)
      //   provider_id     a provider event's email (provider-events.ts)
      //   enrollment_id   a reader's course emails (due-enrollments.ts, manual-sends.ts, analytics.ts)
      //   broadcast_id    a newsletter's recipients (broadcasts.ts, broadcast-delivery.ts)
      //   retried_at      "retry all failed" progress (sends.ts)
      //   sent_at         the complaint-rate window (sending-guard.ts, admin-queries.ts)
      //   next_due_at     the scheduler's due enrollments (due-enrollments.ts)
      const partial: [name: string, table: string, columns: string[], notNull: string][] = [
        ["sends_batch_idx", "sends", ["batch_id"], "batch_id"],
        ["sends_provider_idx", "sends", ["provider_id"], "provider_id"],
        ["sends_enrollment_status_idx", "sends", ["enrollment_id", "status"], "enrollment_id"],
        ["sends_broadcast_idx", "sends", ["broadcast_id", "status"], "broadcast_id"],
        ["sends_retried_idx", "sends", ["retried_at", "status"], "retried_at"],
        ["sends_sent_events_idx", "sends", ["sent_at", "delivered_at", "complained_at"], "sent_at"],
        ["enrollments_due_idx", "enrollments", ["status", "next_due_at"], "next_due_at"],
      ];
      for (const [name, table, columns, notNull] of partial) {
        await db.schema.dropIndex(name).execute();
        await db.schema.createIndex(name).on(table).columns(columns).where(sql.ref(notNull), "is not", null).execute();
      }
    },
  },
  "0018_batch_requests": {
    async up(db: Kysely<unknown>) {
      const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
      // A batch's stored request as one compressed row (see BatchRequestsTable): storing each
      // email's ~15 KB on its own was a fifth of the worker's CPU at full speed, and SQLite's
      // WAL wrote every byte twice. Batches stored before this keep their rows in send_requests.
      await db.schema
        .createTable("batch_requests")
        .addColumn("batch_id", "text", (c) => c.primaryKey())
        .addColumn("body", sqlite ? "blob" : "bytea", (c) => c.notNull())
        .execute();
    },
  },
  "0019_paused_enrollments_index": {
    async up(db: Kysely<unknown>) {
      // The tick looks up pauses whose time is up (enrollments.ts resumeExpiredPauses: status =
      // 'paused' and paused_until <= now). It used to find them through enrollments_due_idx's
      // status column; since 0017 made that index partial (next_due_at is not null), the lookup
      // could not prove its rows were in it and read the whole table on every tick (SQLite: a scan
      // of every enrollment, about 5 ms per tick at 30,000 readers). paused_until is set only while
      // a reader is paused, so this index holds the paused readers only, and a range on
      // paused_until is the proof the planner needs.
      await db.schema.createIndex("enrollments_paused_idx").on("enrollments").column("paused_until").where(sql.ref("paused_until"), "is not", null).execute();
    },
  },
};

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
};

/**
 * `schema` pins Kysely's bookkeeping tables to the connection's own schema on PostgreSQL: its
 * existence check looks across every schema, so another deployment (or test) sharing the database
 * under a different search_path would otherwise make it skip creating them.
 */
export async function migrateToLatest(db: Kysely<unknown>, schema?: string): Promise<void> {
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    const what = failed ? `migration ${failed.migrationName} failed` : "migrations failed";
    throw new Error(`${what}: ${errorMessage(error)}`, { cause: error });
  }
}

/** Runs the migrations up to and including `name` only: lets a test seed data an older schema allowed. */
export async function migrateUpTo(db: Kysely<unknown>, name: string, schema?: string): Promise<void> {
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error } = await migrator.migrateTo(name);
  if (error) throw new Error(`migrating to ${name} failed: ${errorMessage(error)}`, { cause: error });
}
