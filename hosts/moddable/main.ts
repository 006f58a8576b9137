/**
 * The Hyphae firmware: one mesh node on a Moddable board (ESP32) or in the Moddable simulator.
 *
 * Boot: read the settings and provisioning from the build's config (README §Firmware) or, without
 * provisioning there, from what an earlier boot stored; build the MeshNode on the board's ports
 * (crypto.ts, random.ts, storage.ts) and run it with the NodeDriver: frames from the link go to
 * `receive`, the one node timer to `tick`, the sample reading to `publish`. The network comes up
 * alongside (Wi-Fi on the ESP32; nothing to do on the desktop) and the link opens when it is up.
 *
 * Output, one JSON object per line through `trace` (the serial console, xsbug, or mcsim's stdout),
 * the same shapes `hyphae node` prints (hosts/node/host-event.ts) plus the firmware's own:
 *   {"type":"started","id":…,"role":…,"address":…,"port":…,"broadcast":[…],"link":…,…}
 *   {"type":"neighbor-up","id":…,"role":…}   {"type":"neighbor-down","id":…,"reason":…}
 *   {"type":"message","origin":…,"seq":…,"payload":"<hex>","hops":…}
 *   {"type":"command","origin":…,"seq":…,"path":…,"value":"<hex>","hops":…} (a command for this node:
 *   an application acts on it in the driver's onEvent below)
 *   {"type":"published","seq":…,"payload":"<hex>"}   {"type":"relayed",…}
 *   {"type":"reading-taken","seq":…,"sensor":…,"value":…}
 *   {"type":"wifi","phase":…,"ssid":…,"station":…,"ap":…}   {"type":"link","broadcast":[…]}
 *   {"type":"content-installed","kind":…,"version":…} (with config `content`; on the ESP32 then
 *   {"type":"firmware-restart",…}, and after the restart {"type":"firmware-trial",…} until
 *   {"type":"firmware-confirmed"} or {"type":"firmware-rollback",…}: hosts/moddable/esp32/board-content.ts)
 *   {"type":"status",…counters,"drops":{reason:count},"link":{…},"heap":{…}} (every statusMs; heap: debug builds)
 *   {"type":"error","message":…}
 */
import config from "mc/config";
import Debug from "debug";
import Instrumentation from "instrumentation";
import Time from "time";
import Timer from "timer";
import { toHex } from "../../modules/bytes.js";
import { createBoardConfig, DEFAULT_NODE_CONFIG, type NodeConfig } from "../../modules/config.js";
import { dropReasonName } from "../../modules/counters.js";
import { NodeDriver } from "../../modules/driver.js";
import type { MeshEvent } from "../../modules/events.js";
import { nodeIdOf } from "../../modules/identity/node-id.js";
import { MeshNode } from "../../modules/node.js";
// Per platform (manifest.json): the OTA partition on the ESP32, RAM in the desktop simulator.
import { openBoardContent } from "hosts/moddable/platform/board-content";
import { type Endpoint, subnetBroadcast } from "./addresses.js";
import { MonotonicClock, wallClockSeconds } from "./clock.js";
import { boardCrypto } from "./crypto.js";
import { loadProvisioning } from "./provisioning-store.js";
import { boardRandom } from "./random.js";
import { SAMPLE_SENSOR, sampleMessage } from "./reading.js";
import { type ConfigRecord, type FirmwareSettings, settingsFromConfig } from "./settings.js";
import { PreferenceStorage } from "./storage.js";
import { samePeer, UdpLink } from "./link.js";
import { MeshWiFi, type WiFiState } from "./wifi.js";

/** Preference domain of the provisioning copy; each identity's counters live in a domain of its own. */
const PROVISIONING_DOMAIN = "hyphae";
/** The node timer's repeat interval: only a safety net, since it is rescheduled after every tick. */
const TIMER_GUARD_MS = 60_000;

function emit(event: object): void {
  trace(JSON.stringify(event, (_key, value) => (value instanceof Uint8Array ? toHex(value) : value)) + "\n");
}

/**
 * Runs a callback from the SDK (timer, socket) and reports what it throws instead of letting it
 * end the VM: a release build would only print "XS abort", and the node would be gone.
 */
function guarded(what: string, callback: () => void): void {
  try {
    callback();
  } catch (e) {
    emit({ type: "error", message: `${what}: ${(e as Error).message}` });
  }
}

/**
 * The XS heap in use right after a full collection, bytes (slots: 16 B each on the ESP32, 32 B in
 * the 64-bit simulator), from the SDK's instrumentation, which only debug builds (`mcconfig -d`,
 * `hyphae firmware build --debug`) compile in; undefined in a release build.
 */
function heapInUse(): { slotBytes: number; chunkBytes: number } | undefined {
  const slots = Instrumentation.map("XS Slot Heap Used");
  const chunks = Instrumentation.map("XS Chunk Heap Used");
  if (slots === undefined || chunks === undefined) return undefined;
  Debug.gc();
  const slotBytes = Instrumentation.get(slots);
  const chunkBytes = Instrumentation.get(chunks);
  return slotBytes === undefined || chunkBytes === undefined ? undefined : { slotBytes, chunkBytes };
}

function eventOf(e: MeshEvent): object {
  return e.type === "message" || e.type === "direct-message" ? { ...e, payload: toHex(e.payload) } : e;
}

/** Where frames for everyone go: the configured override, else each interface's subnet broadcast. */
function broadcastTargets(settings: FirmwareSettings, addresses: (string | undefined)[]): Endpoint[] {
  if (settings.broadcast.length > 0) return settings.broadcast;
  const out: Endpoint[] = [];
  for (const address of addresses) {
    const b = subnetBroadcast(address);
    if (b && !out.some((e) => e.address === b)) out.push({ address: b, port: settings.port });
  }
  return out;
}

/** The core's config: its defaults, the build's `node` overrides (names checked here, values by the core), `beaconMs`. */
function nodeConfigOf(settings: FirmwareSettings): NodeConfig {
  const partial: Record<string, number | string | boolean> = {};
  for (const [key, value] of Object.entries(settings.node)) {
    if (!(key in DEFAULT_NODE_CONFIG)) throw new TypeError(`config.node.${key} is not a node setting (modules/config.ts)`);
    partial[key] = value;
  }
  if (settings.beaconMs !== undefined) partial.beaconIntervalMs = settings.beaconMs;
  return createBoardConfig(partial as Partial<NodeConfig>);
}

function boot(): void {
  const settings = settingsFromConfig(config as ConfigRecord);
  const clock = new MonotonicClock(() => Time.ticks);
  const { crypto, native } = boardCrypto();
  if (!native) emit({ type: "error", message: "native SHA-512 failed its known-answer test: using the JS one" });

  const loaded = loadProvisioning(settings.provisioning, new PreferenceStorage(PROVISIONING_DOMAIN));
  if (!loaded) {
    throw new Error("no provisioning in the build's config or in storage: build with networkId=… networkKey=… " +
      "ownerPublicKey=… secretKey=… certificate=… (README §Firmware)");
  }
  const { provisioning, source } = loaded;
  // Counters (epoch, sequence block) belong to the identity: a re-provisioned board starts afresh.
  const id = nodeIdOf(crypto, provisioning.secretKey.subarray(32));
  const storage = new PreferenceStorage("n" + toHex(id).slice(0, 14));
  const random = boardRandom(id, Date.now());
  const board = settings.content
    ? openBoardContent({ crypto, storage, restartMs: settings.restartMs, rejoinMs: settings.rejoinMs, emit })
    : null;
  const node = new MeshNode(provisioning, { crypto, random, storage, content: board ? { store: board.store } : undefined, sameLink: samePeer },
    nodeConfigOf(settings));

  let driver: NodeDriver | undefined;
  const link = new UdpLink({
    port: settings.port,
    onFrame: (bytes, from) => guarded("receive", () => driver?.receive(bytes, from, clock.now())),
    onError: (message) => emit({ type: "error", message }),
    now: () => clock.now(),
  });

  // One timer for the node: rescheduled to its next deadline after every call into the driver.
  let deadline = Infinity;
  const timer = Timer.repeat(() => {
    guarded("tick", () => driver!.tick(clock.now()));
    arm();
  }, TIMER_GUARD_MS);
  const arm = (): void => {
    if (deadline === Infinity) Timer.schedule(timer);
    else Timer.schedule(timer, Math.max(1, deadline - clock.now()), TIMER_GUARD_MS);
  };
  driver = new NodeDriver(node, {
    link,
    wakeAt(at) {
      deadline = at;
      arm();
    },
    onEvent: (e) => {
      emit(eventOf(e));
      board?.onEvent(e);
    },
  });

  const setWallClock = (): void => {
    const wall = wallClockSeconds();
    if (wall !== undefined) node.setWallClock(wall, clock.now());
  };

  const started = clock.now();
  setWallClock();
  if (settings.link === "peers" && !settings.wifi) {
    link.open();
    link.setTargets(settings.peers);
  } else if (!settings.wifi) {
    link.open(); // a wired board: the override, or the limited broadcast
    link.setTargets(settings.broadcast.length > 0 ? settings.broadcast : [{ address: "255.255.255.255", port: settings.port }]);
  }
  driver.start(clock.now());
  emit({
    type: "started", id: node.idHex, role: node.role, address: "0.0.0.0", port: settings.port, broadcast: link.targetList,
    link: settings.link, provisioning: source, sha512: native ? "native" : "js", wallClock: wallClockSeconds() ?? null,
  });

  if (settings.wifi) {
    const wifi = new MeshWiFi(settings.wifi, (state: WiFiState) => {
      emit({ type: "wifi", ...state });
      if (state.phase !== "connected" && state.phase !== "access-point") return;
      try {
        link.open();
      } catch (e) {
        emit({ type: "error", message: `cannot bind UDP port ${settings.port}: ${(e as Error).message}` });
        return;
      }
      const own = [state.station, state.ap].filter((a): a is string => a !== undefined);
      link.setTargets(settings.link === "peers" ? settings.peers : broadcastTargets(settings, own), own);
      emit({ type: "link", broadcast: link.targetList });
    });
    wifi.start();
  }

  if (settings.publishMs > 0) {
    let messages = 0;
    Timer.repeat(() => guarded("publish", () => {
      setWallClock();
      const payload = sampleMessage(++messages);
      const seq = driver!.publish(payload, clock.now());
      emit({ type: "published", seq, payload: toHex(payload) });
    }), settings.publishMs);
  }
  if (settings.readingMs > 0) {
    let readings = 0;
    Timer.repeat(() => guarded("reading", () => {
      setWallClock();
      const value = ++readings;
      const seq = driver!.publishReading(SAMPLE_SENSOR, value, clock.now());
      emit({ type: "reading-taken", seq, sensor: SAMPLE_SENSOR, value });
    }), settings.readingMs);
  }

  if (settings.statusMs > 0) {
    Timer.repeat(() => guarded("status", () => {
      const c = node.counters;
      const drops: Record<string, number> = {};
      for (const [reason, n] of c.drops) drops[dropReasonName(reason)] = n;
      emit({
        type: "status", uptime: Math.floor((clock.now() - started) / 1000), neighbors: node.neighborSummary(clock.now()).length,
        framesIn: c.framesIn, framesOut: c.framesOut, published: c.published, relays: c.relays, drops, link: link.counters,
        heap: heapInUse(), // debug builds only (JSON leaves it out when undefined)
      });
    }), settings.statusMs);
  }
}

try {
  boot();
} catch (e) {
  // A release build shows an uncaught exception only as "XS abort": say what went wrong first.
  emit({ type: "error", message: `boot failed: ${(e as Error).message}` });
}
