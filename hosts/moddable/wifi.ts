/**
 * Wi-Fi for an offline mesh, on the SDK's `wifi` and `net` modules (ESP32; the desktop simulator
 * skips Wi-Fi: its config has `wifi: false`).
 *
 * A bag of boards with no router must still find each other:
 *   1. with an `ssid` configured, join that network;
 *   2. without one, or when it gives no IP (RETRIES attempts of JOIN_TIMEOUT_MS and more), look for
 *      the mesh's own network (`meshSsid`): join it when another node runs it;
 *   3. when no node runs it, wait a random 0–4 s (so boards switched on together do not all start
 *      one), look once more, and then start it: a soft access point with the mesh SSID, in AP+STA
 *      mode so the station side can keep scanning.
 * Connection lost: the same rule: retry the network (RETRIES attempts, with backoff), then step 2.
 * Two boards that both started the mesh network split the mesh: every AP_CHECK_MS an access point
 * scans, and when it sees the mesh SSID from a lower BSSID it stops its own and joins that one, so
 * the mesh converges on one access point.
 *
 * Every change is reported through `onState`, with the interface addresses the link needs
 * (broadcast goes to each interface's subnet).
 */
import Net from "net";
import Timer from "timer";
import WiFi, { type WiFiCallback } from "wifi";
import type { WiFiSettings } from "./settings.js";

export type WiFiPhase =
  /** Trying to join `ssid` (the configured network or the mesh's). */
  | "joining"
  /** Joined `ssid`, station address `station`. */
  | "connected"
  /** Scanning for the mesh network. */
  | "searching"
  /** Running the mesh network as soft access point, address `ap`. */
  | "access-point"
  /** The joined network dropped us; retrying. */
  | "lost";

export interface WiFiState {
  phase: WiFiPhase;
  ssid: string;
  /** IPv4 of the station interface, when it has one. */
  station: string | undefined;
  /** IPv4 of the soft access point, when it runs. */
  ap: string | undefined;
}

const JOIN_TIMEOUT_MS = 20_000;
const RETRIES = 3;
const AP_CHECK_MS = 60_000;
const MAX_AP_DELAY_MS = 4_000;
const MAX_AP_CLIENTS = 8;
const MODE_STATION = 1;
const MODE_AP_STATION = 3;

type NetGet = (what: "IP" | "MAC", nif?: "station" | "ap") => string | undefined;
/** The SDK's `Net.get` takes the interface as a second argument in AP+STA mode; @moddable/typings 5.6 omits it. */
const netGet = Net.get as unknown as NetGet;

type ScanItem = { ssid: string; bssid: ArrayBuffer; rssi: number } | null;

function hex(bytes: ArrayBuffer): string {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += (b < 16 ? "0" : "") + b.toString(16);
  return s;
}

export class MeshWiFi {
  private station: WiFi | undefined;
  private timer: Timer | undefined;
  private state: WiFiState;
  /** Consecutive failed attempts on the current network. */
  private failures = 0;
  /** The network being joined or joined. */
  private target: { ssid: string; password?: string } = { ssid: "" };

  constructor(private readonly settings: WiFiSettings, private readonly onState: (s: WiFiState) => void) {
    this.state = { phase: "searching", ssid: settings.meshSsid, station: undefined, ap: undefined };
  }

  start(): void {
    if (this.settings.ssid) this.join(this.settings.ssid, this.settings.password);
    else this.search(false);
  }

  get current(): WiFiState {
    return this.state;
  }

  private report(phase: WiFiPhase, ssid: string): void {
    this.state = {
      phase,
      ssid,
      station: phase === "connected" ? netGet("IP", "station") : undefined,
      ap: phase === "access-point" ? (netGet("IP", "ap") ?? "192.168.4.1") : undefined,
    };
    this.onState(this.state);
  }

  private later(ms: number, then: () => void): void {
    Timer.clear(this.timer);
    this.timer = Timer.set(() => {
      this.timer = undefined;
      then();
    }, ms);
  }

  private join(ssid: string, password: string | undefined): void {
    this.closeStation();
    WiFi.mode = MODE_STATION;
    this.target = password ? { ssid, password } : { ssid };
    const onNotify: WiFiCallback = (message) => this.onStation(message);
    this.station = new WiFi(this.target, onNotify);
    this.report("joining", ssid);
    this.later(JOIN_TIMEOUT_MS, () => this.failed());
  }

  private onStation(message: Parameters<WiFiCallback>[0]): void {
    const ssid = this.target.ssid;
    if (message === WiFi.gotIP) {
      Timer.clear(this.timer);
      this.timer = undefined;
      this.failures = 0;
      this.report("connected", ssid);
    } else if (message === WiFi.disconnected || message === WiFi.lostIP) {
      if (this.state.phase === "connected") this.report("lost", ssid);
      // The SDK retries a few times by itself; the join timeout decides when to try again or give up.
      if (!this.timer) this.later(JOIN_TIMEOUT_MS, () => this.failed());
    }
  }

  /** No IP within the timeout: retry with backoff, then fall back to the mesh's own network. */
  private failed(): void {
    this.failures++;
    if (this.failures < RETRIES) {
      this.report("joining", this.target.ssid);
      WiFi.connect(this.target);
      this.later(JOIN_TIMEOUT_MS * (this.failures + 1), () => this.failed());
      return;
    }
    this.failures = 0;
    this.search(false);
  }

  /** Looks for the mesh network; `second` is the look after the random wait. */
  private search(second: boolean): void {
    const { meshSsid, meshPassword } = this.settings;
    this.closeStation();
    WiFi.mode = MODE_STATION;
    this.report("searching", meshSsid);
    let found = false;
    WiFi.scan({}, (item: ScanItem) => {
      if (item) {
        if (item.ssid === meshSsid) found = true;
        return;
      }
      if (found) this.join(meshSsid, meshPassword);
      else if (!second) this.later(Math.floor(Math.random() * MAX_AP_DELAY_MS), () => this.search(true));
      else this.startAccessPoint();
    });
  }

  private startAccessPoint(): void {
    const { meshSsid, meshPassword, meshChannel } = this.settings;
    this.closeStation();
    WiFi.mode = MODE_AP_STATION;
    // `station: true` keeps the station interface (AP+STA) so the access point can scan; not in the typings.
    const options = { ssid: meshSsid, channel: meshChannel, max: MAX_AP_CLIENTS, station: true, ...(meshPassword ? { password: meshPassword } : {}) };
    WiFi.accessPoint(options as Parameters<typeof WiFi.accessPoint>[0]);
    this.report("access-point", meshSsid);
    this.later(AP_CHECK_MS, () => this.checkRivalAccessPoint());
  }

  /** Another access point with the mesh SSID and a lower BSSID wins: join it. */
  private checkRivalAccessPoint(): void {
    const meshSsid = this.settings.meshSsid;
    const ours = (netGet("MAC", "ap") ?? "").replace(/:/g, "").toLowerCase();
    let rival = false;
    WiFi.scan({}, (item: ScanItem) => {
      if (item) {
        if (item.ssid === meshSsid && ours !== "" && hex(item.bssid) < ours) rival = true;
        return;
      }
      if (rival) this.join(meshSsid, this.settings.meshPassword);
      else this.later(AP_CHECK_MS, () => this.checkRivalAccessPoint());
    });
  }

  /** Stops joining (the SDK would keep retrying in the background and disturb a scan) and drops the notifier. */
  private closeStation(): void {
    if (!this.station) return;
    WiFi.disconnect();
    this.station.close();
    this.station = undefined;
  }
}
