/** `typeof` of a dotted path read from globalThis ("Promise.withResolvers"); "undefined" if any step is missing. */
export function typeOfPath(path: string): string {
  let value: unknown = globalThis;
  for (const key of path.split(".")) {
    if (value === undefined || value === null) return "undefined";
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value;
}
