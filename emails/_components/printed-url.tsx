import { Fragment } from "react";

/**
 * A URL printed as text for readers to copy, e.g. under a button. Without break opportunities a
 * long one widens the email past a phone's screen in clients that ignore `overflow-wrap` (Outlook
 * for Windows); zero-width spaces or soft hyphens would break it, but a copied <wbr> adds nothing.
 * Breaks go after each "/" and before "?", "&", "=", "#" and ".", as style guides break URLs, and
 * every 16 characters inside a long run such as a token.
 */
const MAX_RUN = 16;

export function urlBreakPieces(url: string): string[] {
  const chars = Array.from(url);
  const pieces: string[] = [];
  let run = "";
  chars.forEach((char, i) => {
    if ("?&=#.".includes(char) && run !== "" && !run.endsWith("/")) {
      pieces.push(run);
      run = "";
    }
    run += char;
    // Keep "//" together: a break inside "https://" reads as two addresses.
    const endsRun = char === "/" ? chars[i + 1] !== "/" : run.length >= MAX_RUN;
    if (endsRun) {
      pieces.push(run);
      run = "";
    }
  });
  if (run) pieces.push(run);
  return pieces;
}

export function PrintedUrl({ url }: { url: string }) {
  return (
    <>
      {urlBreakPieces(url).map((piece, index) => (
        <Fragment key={index}>
          {index > 0 ? <wbr /> : null}
          {piece}
        </Fragment>
      ))}
    </>
  );
}
