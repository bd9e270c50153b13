import { html, type SafeHtml } from "./html.js";

/** One composed mail: the subject and the same content as HTML and as plain text. */
export interface RenderedMail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

const BODY = "margin:0;padding:24px;background:#f4f4f5;font-family:Helvetica,Arial,sans-serif;color:#18181b";
const CARD = "max-width:560px;margin:0 auto;padding:24px;background:#ffffff;border-radius:8px";

/** The HTML document around a mail's content (inline styles: mail clients ignore style sheets). */
export function page(subject: string, content: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${subject}</title></head>
<body style="${BODY}">
<div style="${CARD}">
${content}
<p style="margin-top:32px;font-size:12px;color:#71717a">Herald · this mail was sent automatically; replies are not read.</p>
</div>
</body>
</html>
`.value;
}

/** The plain-text part: paragraphs separated by blank lines, the same footer as the HTML. */
export function textPage(blocks: readonly (string | null | undefined)[]): string {
  const paragraphs = blocks.filter((block): block is string => typeof block === "string" && block !== "");
  return `${[...paragraphs, "--\nHerald · this mail was sent automatically; replies are not read."].join("\n\n")}\n`;
}
