import { Link, Section, Text } from "@react-email/components";
import type { EmailCourse } from "./copy.ts";
import { postalLines, preferencesLabel, unsubscribeLabel } from "./copy.ts";
import { color, text, wrapAnywhere } from "./theme.ts";

interface FooterProps {
  course: EmailCourse;
  /** Why this person is getting the email. Omit for transactional mail (confirmation). */
  reason?: string;
  unsubscribeUrl?: string;
  preferencesUrl?: string;
}

const footerLink = { color: color.muted, textDecoration: "underline", ...wrapAnywhere };

/** Sender identity and postal address (CAN-SPAM), plus the reason and opt-out links when given. */
export function Footer({ course, reason, unsubscribeUrl, preferencesUrl }: FooterProps) {
  const address = postalLines(course);
  return (
    <Section className="lp-footer" style={{ padding: "24px 12px 0", ...wrapAnywhere }}>
      {reason ? <Text style={text.footer}>{reason}</Text> : null}
      {unsubscribeUrl ? (
        <Text style={text.footer}>
          <Link href={unsubscribeUrl} style={footerLink}>
            {unsubscribeLabel}
          </Link>
          {preferencesUrl ? (
            <>
              {"  ·  "}
              <Link href={preferencesUrl} style={footerLink}>
                {preferencesLabel}
              </Link>
            </>
          ) : null}
        </Text>
      ) : null}
      <Text style={{ ...text.footer, margin: "14px 0 0" }}>
        {course.sender.name}
        {address.map((line, i) => (
          <span key={i}>
            <br />
            {line}
          </span>
        ))}
      </Text>
    </Section>
  );
}
