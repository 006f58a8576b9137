/**
 * The Random port on Node: the operating system's CSPRNG (WebCrypto getRandomValues), drawn 256
 * words at a time so a beacon or relay delay costs no system call.
 */
import { getRandomValues } from "node:crypto";
import type { Random } from "../../modules/ports.js";

const BATCH = 256;

export class NodeRandom implements Random {
  private readonly words = new Uint32Array(BATCH);
  private next = BATCH;

  nextU32(): number {
    if (this.next === BATCH) {
      getRandomValues(this.words);
      this.next = 0;
    }
    return this.words[this.next++];
  }
}
