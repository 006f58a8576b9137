/**
 * What a gossip message that carries its origin's own signature signs (commands, gateways' handover
 * messages): a context string naming the kind and its version ‖ the gossip origin (8) ‖ its seq (u32)
 * ‖ the signed body. Binding the gossip (origin, seq) keeps a relay from moving the body to another
 * sender or sequence number; the context keeps a signature of one kind from passing for another.
 */
import { concatBytes, writeU32 } from "../bytes.js";
import { NODE_ID_BYTES } from "../wire/frame.js";

export function gossipSigningBytes(context: Uint8Array, origin: Uint8Array, seq: number, body: Uint8Array): Uint8Array {
  const numbers = new Uint8Array(4);
  writeU32(numbers, 0, seq);
  return concatBytes(context, origin.subarray(0, NODE_ID_BYTES), numbers, body);
}
