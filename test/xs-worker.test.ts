/**
 * The XS harness itself (tools/xs/xs-worker.ts): JSON both ways, non-ASCII included, and heap figures
 * read from XS snapshots that follow what the script allocates and frees.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fileURLToPath } from "node:url";
import { bundleForXs, snapshotHeap, startXsWorker } from "../tools/xs/xs-worker.js";
import type { HeapRequest } from "./xs/heap-entry.js";

const ENTRY = fileURLToPath(new URL("./xs/heap-entry.js", import.meta.url));

test("requests and replies cross as JSON, non-ASCII and all; heap figures follow allocations", async () => {
  const worker = await startXsWorker(await bundleForXs(ENTRY), "hyphae-harness");
  try {
    const ask = <T>(request: HeapRequest): Promise<T> => worker.request<T>(request);
    const message = { text: "≤ 48 KB · naïve ✓", list: [1, 2.5, null, true], nested: { deep: ["x"] } };
    assert.equal(await ask({ echo: message }), message);

    const base = await worker.heap();
    assert.match(base.xsVersion, /^\d+\.\d+\.\d+$/);
    assert.is(base.slotBytes, 32, "64-bit host");
    await ask({ hold: { objects: 2000, bytes: 100_000 } });
    const held = await worker.heap();
    // Each {a, b} is an instance slot and two property slots. The bytes live in a chunk, and so do
    // the array's items, one slot each.
    const slots = held.slots - base.slots;
    assert.ok(slots >= 6000 && slots < 6100, `slots grew by ${slots}`);
    const chunks = held.chunkBytes - base.chunkBytes;
    assert.ok(chunks >= 100_000 + 2000 * base.slotBytes, `chunks grew by ${chunks}`);
    await ask({ release: true });
    const freed = await worker.heap();
    assert.ok(Math.abs(freed.slots - base.slots) < 50, `after release: ${freed.slots - base.slots} slots`);
    assert.ok(Math.abs(freed.chunkBytes - base.chunkBytes) < 2000, `after release: ${freed.chunkBytes - base.chunkBytes} B`);
  } finally {
    await worker.close();
  }
});

test("snapshotHeap rejects what is not an XS snapshot", () => {
  assert.throws(() => snapshotHeap(new Uint8Array(64)), /not an XS snapshot/);
});

test.run();
