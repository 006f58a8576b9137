/**
 * What `hyphae node` prints: one JSON object per line, the core's events (payloads and command values as hex) and the
 * host's own (started, published, error, stopped). Field `type` names the event in both families.
 */
import { toHex } from "../../modules/bytes.js";
import type { MeshEvent } from "../../modules/events.js";

type MessageEvent = Extract<MeshEvent, { type: "message" | "direct-message" }>;
type CommandEvent = Extract<MeshEvent, { type: "command" }>;

export type HostEvent =
  | Exclude<MeshEvent, MessageEvent | CommandEvent>
  | (Omit<Extract<MeshEvent, { type: "message" }>, "payload"> & { payload: string })
  | (Omit<Extract<MeshEvent, { type: "direct-message" }>, "payload"> & { payload: string })
  /** A command for this node, its value as hex. */
  | (Omit<CommandEvent, "value"> & { value: string })
  | { type: "started"; id: string; address: string; port: number; broadcast: string[] }
  /** A message this node published to the mesh: its sequence number and payload (hex). */
  | { type: "published"; seq: number; payload: string }
  /** A sensor reading this node sent toward a gateway (feed seq). */
  | { type: "reading-taken"; seq: number; sensor: string; value: number }
  /**
   * Content held here and by each neighbor that advertised it (its last HAVE), pieces of `total`
   * swarm pieces (hash blocks and data pieces); printed when it changed, at most once per period.
   */
  | { type: "content-progress"; kind: number; version: number; held: number; total: number; neighbors: { id: string; held: number }[] }
  /** A socket or send error: reported, never fatal. */
  | { type: "error"; message: string }
  | { type: "stopped"; counters: Record<string, number>; drops: Record<string, number> };

export function hostEventOf(e: MeshEvent): HostEvent {
  if (e.type === "message" || e.type === "direct-message") return { ...e, payload: toHex(e.payload) };
  if (e.type === "command") return { ...e, value: toHex(e.value) };
  return e;
}
