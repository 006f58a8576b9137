/**
 * Content in the Moddable desktop simulator (module "hosts/moddable/platform/board-content" of the lin, mac and win
 * builds): there is no OTA partition there, so pieces are kept in RAM (lost at a restart) and an
 * install is only reported, by the content-installed line every node prints, as `hyphae node` does.
 */
import { MemoryContentStore } from "../../../modules/content/content-store.js";
import type { OpenBoardContent } from "../board-content.js";

/** The largest content the simulator keeps, bytes (RAM: a bounded table). */
const SIM_MAX_BYTES = 2 * 1024 * 1024;

export const openBoardContent: OpenBoardContent = () => ({
  store: new MemoryContentStore(SIM_MAX_BYTES),
  onEvent() {},
});
