import type { CourseAnalytics, Figure } from "../../commands/analytics.ts";
import { DEFINITIONS } from "../../commands/analytics.ts";

/**
 * `GET /admin/api/courses/:slug/analytics`: per-lesson figures and the cohort funnel of one
 * course. Rates are fractions (0.25, not 25), null where their base is 0; `definitions` says what
 * each figure counts, the same words the console shows.
 */

const figure = (f: Figure) => ({ count: f.count, rate: f.rate });

export function presentAnalytics(data: CourseAnalytics) {
  return {
    course: data.course.slug,
    leftWithinDays: data.leftWithinDays,
    tracking: data.tracking,
    lessons: data.lessons.map((l) => ({
      key: l.key,
      kind: l.kind,
      number: l.number,
      title: l.title,
      inCourse: l.inCourse,
      sent: l.sent,
      delivered: figure(l.delivered),
      opened: figure(l.opened),
      clicked: figure(l.clicked),
      bounced: figure(l.bounced),
      complained: figure(l.complained),
      unsubscribed: figure(l.unsubscribed),
    })),
    funnel: {
      steps: data.funnel.steps,
      weeks: data.funnel.weeks.map((w) => ({ week: w.week, startsOn: w.startsOn, counts: w.counts })),
      total: data.funnel.total,
    },
    definitions: DEFINITIONS,
  };
}
