/**
 * One `## ` section of a markdown report: the benchmark tools each rewrite their own section of
 * BENCHMARKS.md in place and leave the others alone.
 */

/** Where the section under the line `heading` starts and ends (at the next `## ` heading), if there is one. */
export function sectionBounds(markdown: string, heading: string): [number, number] | undefined {
  const start = markdown.search(new RegExp(`^${heading.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
  if (start < 0) return undefined;
  const next = markdown.slice(start + 1).search(/^## /m);
  return [start, next < 0 ? markdown.length : start + 1 + next];
}

/** The section under `heading`, if `markdown` has one. */
export function sectionOf(markdown: string, heading: string): string | undefined {
  const bounds = sectionBounds(markdown, heading);
  return bounds && markdown.slice(...bounds).trimEnd() + "\n";
}

/** `markdown` with the section under `heading` replaced by `section`; undefined when it has none. */
export function replaceSection(markdown: string, heading: string, section: string): string | undefined {
  const bounds = sectionBounds(markdown, heading);
  if (!bounds) return undefined;
  const after = markdown.slice(bounds[1]);
  return markdown.slice(0, bounds[0]) + section + (after ? "\n" + after : "");
}
