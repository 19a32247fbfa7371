/** @jsxImportSource hono/jsx */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { HtmlEscapedString } from "hono/utils/html";
import { assetUrl } from "../assets.ts";
import type { AssetName } from "../assets.ts";

/**
 * The tab icon: a plain envelope in the pages' accent colour, inline as a data: URL (the CSP's
 * img-src allows data:), so it costs no request and names no one: the publisher's pages carry no
 * software brand. Without it every browser asks for /favicon.ico and logs a 404.
 */
const FAVICON =
  "data:image/svg+xml," +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#7a3e9d"/><path d="M7 10h18v12H7z" fill="none" stroke="#fff" stroke-width="2" stroke-linejoin="round"/><path d="M7 10l9 7 9-7" fill="none" stroke="#fff" stroke-width="2" stroke-linejoin="round"/></svg>',
  );

/** What a view returns: `c.html()` takes it as it is. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface DocumentProps {
  title: string;
  stylesheets: AssetName[];
  scripts?: AssetName[] | undefined;
  /** Console pages stay out of search engines. */
  noindex?: boolean | undefined;
  bodyClass?: string | undefined;
  children?: Child;
}

/**
 * The one document shell of every page, public or admin: readable without CSS, no inline script
 * (the CSP forbids it), stylesheets and scripts at their content-hashed URLs. Every value reaches
 * the markup through JSX, which escapes it, so reader input can never become markup.
 */
export function Document(props: DocumentProps): Html {
  return (
    <>
      {/* JSX has no doctype node; this constant string is the only raw markup of the shell. */}
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light dark" />
          {props.noindex ? <meta name="robots" content="noindex" /> : null}
          <title>{props.title}</title>
          <link rel="icon" type="image/svg+xml" href={FAVICON} />
          {props.stylesheets.map((name) => (
            <link rel="stylesheet" href={assetUrl(name)} />
          ))}
          {(props.scripts ?? []).map((name) => (
            <script src={assetUrl(name)} defer></script>
          ))}
        </head>
        <body class={props.bodyClass}>{props.children}</body>
      </html>
    </>
  );
}

