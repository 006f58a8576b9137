/**
 * What the firmware's content support looks like to main.ts, whatever the platform: the manifest maps
 * module "hosts/moddable/platform/board-content" to esp32/board-content.ts on the ESP32 (the spare OTA partition,
 * install, restart and rollback) and to sim/board-content.ts in the desktop simulator (no OTA: pieces
 * in RAM, installs reported only). Both export `openBoardContent` of this type. main.ts imports the
 * module by that full name; XS resolves the files' relative imports against it, so it sits at their depth.
 */
import type { ContentStore } from "../../modules/content/content-store.js";
import type { MeshEvent } from "../../modules/events.js";
import type { Crypto, Storage } from "../../modules/ports.js";

export interface BoardContentOptions {
  crypto: Crypto;
  /** The node's own storage (its preference domain): the manifest and the trial-boot mark. */
  storage: Storage;
  restartMs: number;
  rejoinMs: number;
  /** Prints one JSON line (the firmware's output). */
  emit(line: object): void;
}

export interface BoardContent {
  readonly store: ContentStore;
  /** Sees every node event: installs verified firmware (content-installed), ends a trial boot (neighbor-up). */
  onEvent(event: MeshEvent): void;
}

export type OpenBoardContent = (options: BoardContentOptions) => BoardContent;
