import { nextItem } from "../domain/course-plan.ts";
import { upsertEnrollment } from "../store/enrollments.ts";
import type { Services } from "./services.ts";

/** Enrolls a confirmed reader in the course; a returning reader resumes where they left off. Returns the enrollment's id. */
export async function enroll(services: Pick<Services, "db" | "catalogue" | "now">, input: { subscriberId: string }): Promise<string> {
  const first = nextItem(services.catalogue.primary, -1);
  return upsertEnrollment(services.db, input.subscriberId, services.catalogue.primary.slug, first?.slug ?? null, services.now());
}
