import { Button } from "@react-email/components";
import { PrintedUrl } from "./printed-url.tsx";
import { color, font, wrapAnywhere } from "./theme.ts";
import { Small } from "./typography.tsx";

/**
 * The one action of a transactional email (confirm, open preferences): a button, and the same URL
 * printed for clients that block buttons or for readers who would rather paste it. `printed`
 * false: the button alone (an offer in list mail, whose text part still carries the URL; a URL
 * printed with break points could not be spliced into a cached template per reader).
 */
export function ActionLink({ href, label, printed = true }: { href: string; label: string; printed?: boolean }) {
  return (
    <>
      <Button
        href={href}
        className="lp-button"
        style={{
          backgroundColor: color.accent,
          color: color.buttonInk,
          borderRadius: "8px",
          padding: "14px 24px",
          fontFamily: font.sans,
          fontSize: "16px",
          fontWeight: 600,
          textAlign: "center",
        }}
      >
        {label}
      </Button>
      {printed ? (
        <>
          <Small style={{ margin: "28px 0 6px" }}>Button not working? Paste this address into your browser:</Small>
          <Small style={{ margin: "0 0 20px", ...wrapAnywhere }}>
            <PrintedUrl url={href} />
          </Small>
        </>
      ) : null}
    </>
  );
}
