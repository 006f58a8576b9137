import { test } from "uvu";
import * as assert from "uvu/assert";
import { defaultScenario, MeshSimulation, type Scenario, type SimulationReport } from "../hosts/sim/mesh-simulation.js";
import { parallelRun, strips } from "../hosts/sim/parallel-mesh.js";
import { randomGeometricGraph } from "../hosts/sim/topology.js";

const withoutWall = ({ wallMs: _w, ...rest }: SimulationReport): Omit<SimulationReport, "wallMs"> => rest;

const scenario: Scenario = { ...defaultScenario(), nodes: 150, durationMs: 70_000, seed: 3, config: { hopLimit: 255 } };

test("strips split the nodes by x into equal counts", () => {
  const t = randomGeometricGraph({ nodes: 101, averageDegree: 8, seed: 2 });
  const s = strips(t, 3);
  assert.equal([0, 1, 2].map((k) => s.filter((x) => x === k).length), [34, 34, 33]);
  for (let i = 0; i < 101; i++) for (let j = 0; j < 101; j++) if (s[i] < s[j]) assert.ok(t.x[i] <= t.x[j]);
});

test("2 threads give exactly the serial report, trace digest included", async () => {
  const serial = withoutWall(new MeshSimulation(scenario).run());
  assert.ok(serial.broadcasts.count > 50 && serial.broadcasts.delivered > 10_000, "the run publishes and delivers");
  const steps: number[] = [];
  const two = await parallelRun(scenario, { threads: 2, progress: { stepMs: 30_000, onStep: (t) => steps.push(t) } });
  assert.equal(withoutWall(two), serial);
  assert.equal(steps, [30_000, 60_000]);
});

test("explicit broadcasts without periodic publishing (the 10,000-node bench's shape), 1 and 3 threads", async () => {
  const s: Scenario = {
    ...scenario, durationMs: 30_000, publishPeriodMs: 0, warmupMs: 0, loss: 0.3,
    broadcasts: [{ node: 5, at: 12_000 }, { node: 140, at: 12_000 }, { node: 5, at: 15_000 }],
  };
  const serial = withoutWall(new MeshSimulation(s).run());
  assert.is(serial.broadcasts.count, 3);
  assert.equal(withoutWall(await parallelRun(s, { threads: 1 })), serial);
  assert.equal(withoutWall(await parallelRun(s, { threads: 3 })), serial);
});

test("rings of a few frames (the smallest allowed): records wrap around them again and again, the report is the same", async () => {
  const s: Scenario = { ...scenario, durationMs: 40_000 };
  const serial = withoutWall(new MeshSimulation(s).run());
  // 512 words hold a frame or two of the largest size; 40 s of this mesh hand over many thousands.
  assert.equal(withoutWall(await parallelRun(s, { threads: 2, ringWords: 512 })), serial);
  assert.equal(withoutWall(await parallelRun(s, { threads: 3, ringWords: 512 })), serial);
});

test("scenario features it does not support are refused with a clear message", async () => {
  for (const [extra, what] of [
    [{ reboots: [{ node: 1, at: 1000, downMs: 10 }] }, /does not support reboots/],
    [{ stops: [{ node: 1, at: 1000 }], readingPeriodMs: 10_000 }, /does not support stops, readings/],
    [{ directMessages: [{ from: 1, to: 2, at: 30_000 }] }, /direct messages/],
    [{ starts: [{ node: 1, at: 1000 }] }, /late starts/],
  ] as [Partial<Scenario>, RegExp][]) {
    try {
      await parallelRun({ ...scenario, ...extra }, { threads: 2 });
      assert.unreachable("should have refused");
    } catch (e) {
      assert.match((e as Error).message, what);
      assert.match((e as Error).message, /run it serially/);
    }
  }
});

test.run();
