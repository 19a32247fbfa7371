import { renderMarkdown } from "../../src/render/markdown.ts";
import { wrapAnywhere } from "./theme.ts";

/**
 * Markdown rendered to inline-styled HTML. The HTML comes from our own token walk, which escapes
 * all raw HTML and drops unsafe links, so injecting it here is the one sanctioned use of
 * dangerouslySetInnerHTML in the templates.
 */
export function MarkdownBody({ markdown }: { markdown: string }) {
  return (
    <div
      className="lp-markdown"
      style={wrapAnywhere}
      dangerouslySetInnerHTML={{ __html: renderMarkdown(markdown).html }}
    />
  );
}
