/** @jsxImportSource hono/jsx */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { HtmlEscapedString } from "hono/utils/html";
import { assetUrl } from "../assets.ts";
import type { AssetName } from "../assets.ts";

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

