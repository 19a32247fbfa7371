import { z } from "zod";
import type { Catalogue } from "../content/catalogue.ts";
import type { Course } from "../content/schema.ts";
import { emailSchema } from "../email-address.ts";

/**
 * What the signup form may carry. Addresses are normalised (trimmed, domain lowercased) so one
 * person is one row; names are length-limited and stripped of control characters, so a CR/LF can
 * never reach an email header.
 */

const name = z
  .string()
  .optional()
  .transform((value) => {
    // eslint-disable-next-line no-control-regex
    const clean = (value ?? "").replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").replace(/\s+/g, " ").trim();
    return clean === "" ? null : clean;
  })
  .pipe(z.string().max(100, "Keep your name under 100 characters.").nullable());

export const signupSchema = z.object({
  email: emailSchema,
  name,
  timezone: z.string().max(64).optional().catch(undefined),
  /** Honeypot: people never see it, form-filling bots do. */
  website: z.string().max(1000).optional().catch(undefined),
});

export type SignupFields = z.output<typeof signupSchema>;

export type SignupParse = { ok: true; fields: SignupFields } | { ok: false; message: string; field: string };

export function parseSignup(input: unknown): SignupParse {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, message: "Send the form fields email, name and timezone.", field: "body" };
  }
  const result = signupSchema.safeParse(input);
  if (result.success) return { ok: true, fields: result.data };
  const issue = result.error.issues[0]!;
  return { ok: false, message: issue.message, field: String(issue.path[0] ?? "body") };
}

/** The Turnstile widget's token (`cf-turnstile-response`, form field or JSON member), if the client sent one. */
const botTokenSchema = z.object({ "cf-turnstile-response": z.string().max(4096).optional().catch(undefined) });

export function parseBotToken(input: unknown): string | undefined {
  const result = botTokenSchema.safeParse(input);
  return result.success ? result.data["cf-turnstile-response"] || undefined : undefined;
}

/** The form field (or JSON member) that names the course, by its slug. */
export const COURSE_FIELD = "course";

/** A slug as course.yaml allows it; anything else cannot name a course. Blank means "not given". */
const courseSchema = z.object({
  course: z
    .string()
    .trim()
    .max(200)
    .optional()
    .transform((value) => (value === "" ? undefined : value)),
});

export type CourseChoice =
  | { ok: true; course: Course }
  /** `message` is for API clients (it names the field and the slugs); `readerMessage` for a person at the form. */
  | { ok: false; code: "course_required" | "course_unknown"; field: typeof COURSE_FIELD; message: string; readerMessage: string };

/**
 * Which course a signup is for. Without `course`, only a one-course install can tell; with several,
 * the field is required, and a slug that names no course is refused rather than quietly replaced
 * by another course. A course's former slug still names it, so a form pasted before a rename keeps working.
 */
export function chooseCourse(catalogue: Catalogue, input: unknown): CourseChoice {
  const names = catalogue.courses.map((course) => course.slug).join(", ");
  const parsed = courseSchema.safeParse(typeof input === "object" && input !== null && !Array.isArray(input) ? input : {});
  if (!parsed.success) {
    return { ok: false, code: "course_unknown", field: COURSE_FIELD, message: `The field "${COURSE_FIELD}" must be the slug of a course: one of ${names}.`, readerMessage: "Please choose a course." };
  }
  const slug = parsed.data.course;
  if (slug === undefined) {
    if (catalogue.only) return { ok: true, course: catalogue.only };
    return {
      ok: false,
      code: "course_required",
      field: COURSE_FIELD,
      message: `Choose a course: the field "${COURSE_FIELD}" is required here, one of ${names}.`,
      readerMessage: "Please choose a course.",
    };
  }
  const course = catalogue.get(slug) ?? catalogue.courses.find((c) => c.formerSlugs.includes(slug));
  if (course) return { ok: true, course };
  return {
    ok: false,
    code: "course_unknown",
    field: COURSE_FIELD,
    message: `There is no course "${slug}" here. The field "${COURSE_FIELD}" must be one of ${names}.`,
    readerMessage: `There is no course "${slug}" here. Please choose one of these.`,
  };
}
