/** @jsxImportSource hono/jsx */
import type { OutgoingEmail } from "../../../send/mailer.ts";

/** Long tokens (unsubscribe URLs) get break opportunities, so they wrap instead of widening the page. */
export function Breakable(props: { value: string }) {
  const parts = props.value.match(/.{1,32}/gs) ?? [];
  return (
    <>
      {parts.map((part, i) =>
        i === 0 ? (
          part
        ) : (
          <>
            <wbr />
            {part}
          </>
        ),
      )}
    </>
  );
}

/**
 * One email as the admin checks it before it goes out (a lesson, the graduation email or a
 * newsletter): optionally its envelope and headers, the HTML part in a sandboxed frame loaded
 * from `htmlUrl` (the email's own markup never enters this page), and the text part.
 */
export function EmailPreview(props: {
  email: OutgoingEmail;
  htmlUrl: string;
  /** The frame's accessible name: "HTML version of the email", "… of the newsletter". */
  frameTitle: string;
  /** From, To, Subject and every header, with an "HTML" heading before the frame. */
  envelope: boolean;
  /** The level of the preview's own headings within the page. */
  headingLevel: 2 | 3;
}) {
  const { email } = props;
  const Heading = props.headingLevel === 2 ? "h2" : "h3";
  return (
    <>
      {props.envelope ? (
        <>
          <table>
            <tbody>
              <tr>
                <th scope="row">From</th>
                <td>{email.from}</td>
              </tr>
              <tr>
                <th scope="row">To</th>
                <td>{email.to}</td>
              </tr>
              <tr>
                <th scope="row">Subject</th>
                <td data-field="subject">{email.subject}</td>
              </tr>
              {Object.entries(email.headers).map(([name, value]) => (
                <tr>
                  <th scope="row">{name}</th>
                  <td>
                    <code>
                      <Breakable value={value} />
                    </code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Heading>HTML</Heading>
        </>
      ) : null}
      <iframe sandbox="" src={props.htmlUrl} title={props.frameTitle}></iframe>
      <p class="hint">
        <a href={props.htmlUrl}>Open the HTML on its own</a>
      </p>
      <Heading>Text</Heading>
      <pre data-field="text">{email.text}</pre>
    </>
  );
}
