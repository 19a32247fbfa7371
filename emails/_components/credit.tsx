import { Link } from "@react-email/components";
import type { EmailLesson } from "./copy.ts";
import { Small } from "./typography.tsx";
import { link } from "./theme.ts";

/** Who wrote the lesson and where it first appeared; the copyright line is kept verbatim. */
export function Credit({ lesson }: { lesson: EmailLesson }) {
  const source = lesson.source.url ? (
    <Link href={lesson.source.url} style={link}>
      {lesson.source.name}
    </Link>
  ) : (
    lesson.source.name
  );
  return (
    <>
      <Small style={{ margin: "0 0 6px" }}>
        Written by <strong>{lesson.author}</strong>. Originally published on {source}.
      </Small>
      {lesson.credit ? (
        <Small style={{ margin: 0, fontSize: "12px", lineHeight: "18px" }}>{lesson.credit}</Small>
      ) : null}
    </>
  );
}
