import type { CSSProperties, ReactNode } from "react";
import { Heading, Text } from "@react-email/components";
import { color, text } from "./theme.ts";

interface Props {
  children: ReactNode;
  style?: CSSProperties;
}

/** Small uppercase label above the title: the course name, or what kind of email this is. */
export function Eyebrow({ children, style }: Props) {
  return (
    <Text className="lp-eyebrow" style={{ ...text.eyebrow, ...style }}>
      {children}
    </Text>
  );
}

export function Meta({ children, style }: Props) {
  return (
    <Text className="lp-muted" style={{ ...text.meta, ...style }}>
      {children}
    </Text>
  );
}

export function Title({ children, style }: Props) {
  return (
    <Heading as="h1" style={{ ...text.title, ...style }}>
      {children}
    </Heading>
  );
}

export function Paragraph({ children, style }: Props) {
  return <Text style={{ ...text.paragraph, ...style }}>{children}</Text>;
}

export function Small({ children, style }: Props) {
  return (
    <Text className="lp-muted" style={{ ...text.small, ...style }}>
      {children}
    </Text>
  );
}

export function Rule({ style }: { style?: CSSProperties }) {
  // A bordered div rather than <hr>: Outlook and Gmail each draw <hr> differently.
  return (
    <div
      className="lp-rule"
      style={{
        height: 0,
        margin: "28px 0 24px",
        borderTop: `1px solid ${color.rule}`,
        fontSize: 0,
        lineHeight: 0,
        ...style,
      }}
    />
  );
}
