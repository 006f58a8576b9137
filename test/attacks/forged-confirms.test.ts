/**
 * Holes that forge CONFIRMs: insiders next to the gateways that attract readings with a one-perfect-hop
 * lie, drop every reading they take, and answer each with a CONFIRM in the gateway's name, so that
 * the origin would stop sending it. An origin acts only on a CONFIRM its gateway authenticated
 * (docs/protocol.md §Store-and-forward, "Authenticated CONFIRMs"): every reading still arrives, once.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runCustodyHoles } from "../../hosts/sim/custody-holes.js";

test("holes forging CONFIRMs for the readings they drop: every reading delivered once", () => {
  const r = runCustodyHoles({ nodes: 60, seed: 7, gateways: 1, holesPerGateway: 2, dropShare: 1, forgesConfirms: true, durationMs: 14 * 60_000, drainMs: 7 * 60_000 });
  assert.ok(r.forgedByHoles > 10, `the holes forged ${r.forgedByHoles} CONFIRMs`);
  assert.ok(r.confirmsRefused > 0, `${r.confirmsRefused} reached their origins and were dropped as forged`);
  assert.ok(r.readings.taken > 300, `${r.readings.taken} readings taken`);
  assert.is(r.readings.lost, 0, "none lost");
  assert.is(r.readings.duplicated, 0, "none twice");
});

test("grey holes at two gateways forging CONFIRMs, some homes behind them alone: every reading delivered once", () => {
  // Custodians check each CONFIRM's receipt against the entries they hold (docs/protocol.md, "Delivery
  // receipts"): before receipts they took the forgeries on the link's word, credited the holes with
  // readings they dropped, and 26 readings were lost here.
  const r = runCustodyHoles({ nodes: 100, seed: 3, gateways: 2, holesPerGateway: 3, dropShare: 0.5, forgesConfirms: true, durationMs: 14 * 60_000, drainMs: 7 * 60_000 });
  assert.ok(r.forgedByHoles > 500, `the holes forged ${r.forgedByHoles} CONFIRMs`);
  assert.ok(r.readings.taken > 600, `${r.readings.taken} readings taken`);
  assert.is(r.readings.lost, 0, "none lost");
  assert.is(r.readings.duplicated, 0, "none twice");
});

test("black holes at two gateways forging CONFIRMs, some homes behind them alone: every reading delivered once", () => {
  // The holes drop all they take. Before gateways gossiped their certificate, the origins whose home
  // only the holes reach sent uncommitted entries that no custodian could check, and 204 were lost.
  const r = runCustodyHoles({ nodes: 100, seed: 3, gateways: 2, holesPerGateway: 3, dropShare: 1, forgesConfirms: true, durationMs: 14 * 60_000, drainMs: 7 * 60_000 });
  assert.ok(r.forgedByHoles > 500, `the holes forged ${r.forgedByHoles} CONFIRMs`);
  assert.ok(r.confirmsRefused > 500, `${r.confirmsRefused} forgeries refused`);
  assert.ok(r.readings.taken > 600, `${r.readings.taken} readings taken`);
  assert.is(r.readings.lost, 0, "none lost");
  assert.is(r.readings.duplicated, 0, "none twice");
});

test.run();
