/** The little SVG and HTML text helpers the report page's parts share. */

/** Text or an attribute value, escaped for HTML and SVG. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A coordinate with at most one decimal, so the same run always gives the same bytes and pages stay small. */
export function coordinate(v: number): string {
  return String(Math.round(v * 10) / 10);
}
