/** A table's typed arrays cut from one buffer: each its length, aligned, zeroed, none overlapping. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { typedArrays } from "../modules/typed-arrays.js";

test("typed arrays: views of one buffer, each aligned to its element size, apart", () => {
  const [bytes, f64, u16, u32] = typedArrays([Uint8Array, 3], [Float64Array, 2], [Uint16Array, 5], [Uint32Array, 1]);
  assert.instance(f64, Float64Array);
  assert.equal([bytes.length, f64.length, u16.length, u32.length], [3, 2, 5, 1]);
  assert.ok(bytes.buffer === f64.buffer && f64.buffer === u16.buffer && u16.buffer === u32.buffer, "one buffer");
  assert.equal([bytes.byteOffset, f64.byteOffset, u16.byteOffset, u32.byteOffset], [0, 8, 24, 36], "aligned, in order");
  assert.is(bytes.buffer.byteLength, 40);
  bytes.fill(0xff);
  f64.fill(-1);
  u16.fill(0xffff);
  u32.fill(7);
  assert.equal([...bytes, ...f64, ...u16, ...u32], [255, 255, 255, -1, -1, 65535, 65535, 65535, 65535, 65535, 7], "no view writes another's");
});

test("typed arrays: zeroed, and empty ones allowed", () => {
  const [a, b] = typedArrays([Int16Array, 0], [Int8Array, 4]);
  assert.is(a.length, 0);
  assert.equal([...b], [0, 0, 0, 0]);
});

test.run();
