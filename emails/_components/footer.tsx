import { Fragment } from "react";
import { Link, Section, Text } from "@react-email/components";
import type { EmailCourse } from "./copy.ts";
import { postalLines, preferencesLabel, unsubscribeLabel, webVersionLabel } from "./copy.ts";
import { color, text, wrapAnywhere } from "./theme.ts";

interface FooterProps {
  course: EmailCourse;
  /** Why this person is getting the email. Omit for transactional mail (confirmation). */
  reason?: string;
  unsubscribeUrl?: string;
  preferencesUrl?: string;
  /** This email's web version; list mail only, like the opt-out links. */
  webVersionUrl?: string;
}

const footerLink = { color: color.muted, textDecoration: "underline", ...wrapAnywhere };

/**
 * The course's identity and postal address (CAN-SPAM), plus the reason and the reader's links when
 * given: the web version, then the opt-out links (preferences only beside an unsubscribe link).
 * The course's own footer line (course.yaml `footer`) sits above the publisher and address.
 */
export function Footer({ course, reason, unsubscribeUrl, preferencesUrl, webVersionUrl }: FooterProps) {
  const address = postalLines(course);
  const links = [
    webVersionUrl ? { href: webVersionUrl, label: webVersionLabel } : null,
    unsubscribeUrl ? { href: unsubscribeUrl, label: unsubscribeLabel } : null,
    unsubscribeUrl && preferencesUrl ? { href: preferencesUrl, label: preferencesLabel } : null,
  ].filter((link): link is { href: string; label: string } => link !== null);
  return (
    <Section className="lp-footer" style={{ padding: "24px 12px 0", ...wrapAnywhere }}>
      {reason ? <Text style={text.footer}>{reason}</Text> : null}
      {links.length > 0 ? (
        <Text style={text.footer}>
          {links.map((link, i) => (
            <Fragment key={link.label}>
              {i > 0 ? "  ·  " : null}
              <Link href={link.href} style={footerLink}>
                {link.label}
              </Link>
            </Fragment>
          ))}
        </Text>
      ) : null}
      {course.footer ? <Text style={{ ...text.footer, margin: "14px 0 0" }}>{course.footer}</Text> : null}
      <Text style={{ ...text.footer, margin: "14px 0 0" }}>
        {course.publisher}
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
