import type { Catalogue } from "../content/catalogue.ts";
import type { Course } from "../content/schema.ts";
import { nextItem } from "../domain/course-plan.ts";
import { activatePendingEnrollments, upsertEnrollment } from "../store/enrollments.ts";
import type { Services } from "./services.ts";

/** The first email of a course for a reader who has had none: lesson 1 (or, for an empty course, the graduation). */
export function firstSlugOf(course: Course): string | null {
  return nextItem(course, -1)?.slug ?? null;
}

/**
 * The course of a reader whose opt-in named none: they signed up before courses had folders, when
 * an install had exactly one course. That course is the only one, or, once more were added, the
 * first: boot's adoptFormerSlugs has already moved their old course's readers under its slug.
 */
export function courseOfLegacyOptIn(catalogue: Catalogue): Course {
  return catalogue.only ?? catalogue.primary;
}

/**
 * Enrolls a confirmed reader in `course` (by default the course of a legacy opt-in), due at once;
 * a returning reader resumes where they left off. Returns the enrollment's id.
 */
export async function enroll(services: Pick<Services, "db" | "catalogue" | "now">, input: { subscriberId: string; course?: Course | undefined }): Promise<string> {
  const course = input.course ?? courseOfLegacyOptIn(services.catalogue);
  return upsertEnrollment(services.db, input.subscriberId, course.slug, firstSlugOf(course), services.now());
}

/**
 * Confirmation's enrollments: every course the reader asked for before confirming becomes active.
 * `legacy`: the opt-in being confirmed named no course, so with nothing pending the reader joins
 * the course such a signup meant (see courseOfLegacyOptIn). Returns the enrollments now active.
 */
export async function enrollPending(services: Pick<Services, "db" | "catalogue" | "now">, input: { subscriberId: string; legacy: boolean }): Promise<{ id: string; courseSlug: string }[]> {
  const activated = await activatePendingEnrollments(services.db, input.subscriberId, services.now());
  if (activated.length > 0 || !input.legacy) return activated;
  const course = courseOfLegacyOptIn(services.catalogue);
  return [{ id: await enroll(services, { subscriberId: input.subscriberId, course }), courseSlug: course.slug }];
}
