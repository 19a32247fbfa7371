/** @jsxImportSource hono/jsx */
import type { Child } from "hono/jsx";
import type { Course } from "../../content/schema.ts";
import type { AssetName } from "../assets.ts";
import { Document } from "./document.tsx";
import type { Html } from "./document.tsx";

/**
 * Every public page: the document shell around one <main>. `course`: the course the page speaks
 * for (the "signup" branch gives it the course's footer; accepted here so reader pages can pass it).
 */
export function layout(title: string, body: Child, options: { scripts?: AssetName[]; course?: Course | undefined } = {}): Html {
  return (
    <Document title={title} stylesheets={["app.css"]} scripts={options.scripts}>
      <main>{body}</main>
    </Document>
  );
}

/**
 * An email address field with its label and, when the form came back with a problem, the alert
 * that explains it (tied to the field, so a screen reader reads it with the field).
 */
export function EmailField(props: { label: string; value: string | undefined; error: string | undefined; errorId: string }) {
  return (
    <>
      {props.error ? (
        <p class="error" role="alert" id={props.errorId}>
          {props.error}
        </p>
      ) : null}
      <label for="email">{props.label}</label>
      <input
        id="email"
        name="email"
        type="email"
        required
        autocomplete="email"
        maxlength={254}
        value={props.value ?? ""}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={props.error ? props.errorId : undefined}
      />
    </>
  );
}
