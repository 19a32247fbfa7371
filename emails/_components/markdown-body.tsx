import { renderMarkdown } from "../../src/render/markdown.ts";
import { wrapAnywhere } from "./theme.ts";

/**
 * Markdown rendered to inline-styled HTML. The HTML comes from our own token walk, which escapes
 * all raw HTML and drops unsafe links, so injecting it here is the one sanctioned use of
 * dangerouslySetInnerHTML in the templates.
 */
export function MarkdownBody({ markdown, links }: { markdown: string; /** Tracked addresses of the body's links (ReaderProps.clickUrls). */ links?: readonly string[] | undefined }) {
  return (
    <div
      className="lp-markdown"
      style={wrapAnywhere}
      dangerouslySetInnerHTML={{ __html: renderMarkdown(markdown, links).html }}
    />
  );
}
