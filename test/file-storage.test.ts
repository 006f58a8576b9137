/**
 * FileStorage: the Storage port on files. Round trip, the board's limits, atomic writes that survive a
 * re-open (and a torn temporary file), one process per directory, and a MeshNode that reboots on it
 * without reusing a sequence number.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MeshNode } from "../modules/node.js";
import { FileStorage } from "../hosts/node/file-storage.js";
import { nodeCrypto } from "../hosts/node/node-crypto.js";
import { NodeRandom } from "../hosts/node/node-random.js";
import { createMeshKeys, provisionNode } from "../hosts/sim/provision.js";
import { Rng } from "../hosts/sim/rng.js";

function withDir(run: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "hyphae-fs-"));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test("round trip: values are copied in and out; every key gets its own file inside the directory", withDir((dir) => {
  const s = FileStorage.open(dir);
  assert.is(s.get("epoch"), undefined);
  const v = new Uint8Array([1, 2, 3]);
  s.set("epoch", v);
  v[0] = 9;
  const got = s.get("epoch")!;
  assert.equal([...got], [1, 2, 3]);
  got[1] = 9;
  assert.equal([...s.get("epoch")!], [1, 2, 3]);
  s.set("epoch", new Uint8Array([4]));
  assert.equal([...s.get("epoch")!], [4]);
  s.set("empty", new Uint8Array(0));
  assert.is(s.get("empty")!.length, 0);
  // Keys that would be paths, dot files or case twins stay distinct files in the directory.
  const odd = ["a/b", "..", ".lock", "Seq", "seq", "x y%"];
  odd.forEach((k, i) => s.set(k, new Uint8Array([i])));
  odd.forEach((k, i) => assert.equal([...s.get(k)!], [i], k));
  for (const f of readdirSync(dir)) assert.ok(statSync(join(dir, f)).isFile(), f);
  assert.is(s.writes, 9);
  s.close();
}));

test("the board's limits: keys 1..15 printable ASCII, values ≤ 4,000 bytes; a refused set writes nothing", withDir((dir) => {
  const s = FileStorage.open(dir);
  s.set("k".repeat(15), new Uint8Array(4000));
  assert.is(s.get("k".repeat(15))!.length, 4000);
  for (const key of ["", "k".repeat(16), "é", "tab\t"]) {
    assert.throws(() => s.set(key, new Uint8Array(1)), RangeError, JSON.stringify(key));
    assert.throws(() => s.get(key), RangeError, JSON.stringify(key));
  }
  assert.throws(() => s.set("big", new Uint8Array(4001)), /4001 bytes > 4000/);
  assert.is(s.get("big"), undefined);
  assert.is(s.writes, 1);
  s.close();
}));

test("writes are atomic and survive a re-open; a torn temporary file is ignored", withDir((dir) => {
  const a = FileStorage.open(dir);
  a.set("seq", new Uint8Array([0, 0, 0, 64]));
  a.set("epoch", new Uint8Array([0, 0, 0, 1]));
  assert.equal(readdirSync(dir).filter((f) => f.endsWith(".tmp")), [], "no temporary file left");
  a.close();
  // A crash in the middle of a write leaves only the temporary file torn.
  writeFileSync(join(dir, "seq.tmp"), new Uint8Array([7]));
  const b = FileStorage.open(dir);
  assert.equal([...b.get("seq")!], [0, 0, 0, 64]);
  assert.equal([...b.get("epoch")!], [0, 0, 0, 1]);
  b.set("seq", new Uint8Array([0, 0, 0, 128]));
  assert.not.ok(existsSync(join(dir, "seq.tmp")));
  b.close();
  assert.equal([...FileStorage.open(dir).get("seq")!], [0, 0, 0, 128]);
}));

test("one process per directory: a live holder refuses, a dead one's lock is taken over", withDir(async (dir) => {
  const s = FileStorage.open(dir);
  assert.throws(() => FileStorage.open(dir), /already open in this process/);
  s.close();
  assert.not.ok(existsSync(join(dir, ".lock")), "close releases the lock");

  const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
  writeFileSync(join(dir, ".lock"), String(dead));
  FileStorage.open(dir).close();

  const live = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
  try {
    writeFileSync(join(dir, ".lock"), String(live.pid));
    assert.throws(() => FileStorage.open(dir), new RegExp(`in use by process ${live.pid}`));
  } finally {
    live.kill("SIGKILL");
  }
}));

test("a MeshNode rebooted on the same directory takes a new epoch and never reuses a sequence number", withDir((dir) => {
  const rng = new Rng(21);
  const provisioning = provisionNode(createMeshKeys(rng), rng);
  const boot = (): { node: MeshNode; storage: FileStorage } => {
    const storage = FileStorage.open(dir);
    const node = new MeshNode(provisioning, { crypto: nodeCrypto, random: new NodeRandom(), storage });
    node.start(0);
    return { node, storage };
  };
  const first = boot();
  const before = [1, 2, 3].map(() => first.node.publish(new Uint8Array([1]), 10));
  assert.equal(before, [1, 2, 3]);
  first.storage.close();
  const second = boot();
  const after = second.node.publish(new Uint8Array([2]), 10);
  assert.ok(after > 3, `sequence ${after} after reboot`);
  assert.equal([...second.storage.get("epoch")!], [0, 0, 0, 2]);
  second.storage.close();
}));

test.run();
