import type { ReactNode } from "react";
import { Body, Container, Head, Html, Preview } from "@react-email/components";
import { color, darkModeCss, font, wrapAnywhere } from "./theme.ts";

interface EmailShellProps {
  /** Document title; some webmails show it in the browser tab when the email is opened alone. */
  title: string;
  /** Inbox preview line shown after the subject. */
  preview: string;
  children: ReactNode;
  /** Rendered under the card, on the page background. */
  footer?: ReactNode;
}

/**
 * <Preview>'s own hiding, plus `mso-hide:all`: Outlook for Windows (Word's renderer) ignores
 * display:none on a div and would print the preview text at the top of the email.
 */
const hiddenPreview = {
  display: "none",
  overflow: "hidden",
  lineHeight: "1px",
  opacity: 0,
  maxHeight: 0,
  maxWidth: 0,
  msoHide: "all",
} as const;

/**
 * Page → centred fluid container (max 600px) → white card. Everything is percentage-wide with a
 * max-width, so nothing depends on media queries (many clients strip them) to fit a phone.
 */
export function EmailShell({ title, preview, children, footer }: EmailShellProps) {
  return (
    <Html lang="en" dir="ltr">
      <Head>
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="supported-color-schemes" content="light dark" />
        <meta name="format-detection" content="telephone=no, date=no, address=no, email=no, url=no" />
        <title>{title}</title>
        <style dangerouslySetInnerHTML={{ __html: darkModeCss }} />
      </Head>
      <Body
        className="lp-page"
        style={{
          backgroundColor: color.page,
          margin: 0,
          padding: "24px 8px 32px",
          fontFamily: font.sans,
          WebkitTextSizeAdjust: "100%",
          ...wrapAnywhere,
        }}
      >
        <Preview style={hiddenPreview}>{preview}</Preview>
        <Container style={{ maxWidth: "600px", width: "100%", margin: "0 auto" }}>
          <table
            role="presentation"
            width="100%"
            cellPadding={0}
            cellSpacing={0}
            border={0}
            className="lp-card"
            style={{
              width: "100%",
              backgroundColor: color.card,
              border: `1px solid ${color.rule}`,
              borderRadius: "12px",
              borderCollapse: "separate",
              tableLayout: "fixed",
            }}
          >
            <tbody>
              <tr>
                <td style={{ padding: "32px 24px 28px", ...wrapAnywhere }}>{children}</td>
              </tr>
            </tbody>
          </table>
          {footer}
        </Container>
      </Body>
    </Html>
  );
}
