/** @jsxImportSource hono/jsx */
import type { Child } from "hono/jsx";
import type { AssetName } from "../assets.ts";
import { Document } from "./document.tsx";
import type { Html } from "./document.tsx";

/** Every public page: the document shell around one <main>. */
export function layout(title: string, body: Child, options: { scripts?: AssetName[] } = {}): Html {
  return (
    <Document title={title} stylesheets={["app.css"]} scripts={options.scripts}>
      <main>{body}</main>
    </Document>
  );
}
