/** XS side of test/xs-worker.test.ts: echoes, and holds or releases allocations of a known size. */
import { serveJson } from "../../tools/xs/xs-bridge.js";

export type HeapRequest = { echo: unknown } | { hold: { objects: number; bytes: number } } | { release: true };

let held: unknown[] = [];

serveJson((request: HeapRequest) => {
  if ("echo" in request) return request.echo;
  if ("release" in request) {
    held = [];
    return held.length;
  }
  for (let i = 0; i < request.hold.objects; i++) held.push({ a: i, b: -i });
  held.push(new Uint8Array(request.hold.bytes));
  return held.length;
});
