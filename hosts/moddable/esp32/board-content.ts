/**
 * Content on the ESP32 (module "hosts/moddable/platform/board-content" of the esp32 build). Firmware goes to the spare
 * OTA partition through FlashContentStore over the SDK's `flash` module ("nextota"; the running image
 * is read from "running"); configuration stays in RAM (small; fetched again after a reboot).
 *
 * Install: when the swarm reports verified firmware (content-installed), the image is copied through
 * the SDK's `ota` module a sector per timer tick (the mesh keeps running between them), which
 * validates it and makes the partition boot next; `restartMs` later the board restarts into it.
 *
 * Rollback: the first boot of an installed image is a trial (a mark in storage, set before the
 * restart). Until a neighbor comes up the previous image is kept whole in the spare partition (no
 * firmware is fetched meanwhile); a neighbor-up ends the trial. If none comes within `rejoinMs`, the
 * previous image is re-committed in place through `ota` (its length read from its ESP image header)
 * and the board restarts into it. An image that never reaches this code (a crash loop before the
 * mesh starts) is not rolled back: that needs the bootloader's rollback (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
 * and esp_ota_mark_app_valid_cancel_rollback), which no SDK module exposes (docs/security.md).
 */
import Flash from "flash";
import OTA from "ota";
import Timer from "timer";
import { ContentKind } from "../../../modules/content/content-manifest.js";
import { MemoryContentStore } from "../../../modules/content/content-store.js";
import { espImageLength, FlashContentStore, ImageCopy, type FlashPartition, type ImageWriter } from "../../../modules/content/flash-content-store.js";
import type { BoardContentOptions, OpenBoardContent } from "../board-content.js";

/** Configuration content kept in RAM, bytes: a bounded table on a board with ~100 KB of heap. */
const CONFIG_MAX_BYTES = 4096;
const TRIAL_KEY = "ctrial";
const ON_TRIAL = Uint8Array.of(1);
const NO_TRIAL = Uint8Array.of(0);
/** Between two sectors of an image copy, ms: lets frames and timers in. */
const COPY_STEP_MS = 5;

class SdkFlash implements FlashPartition {
  private readonly flash: Flash;
  readonly byteLength: number;
  readonly blockSize: number;

  constructor(partition: string) {
    this.flash = new Flash(partition);
    this.byteLength = this.flash.byteLength;
    this.blockSize = this.flash.blockSize;
  }

  read(offset: number, byteLength: number): Uint8Array {
    return new Uint8Array(this.flash.read(offset, byteLength) as ArrayBuffer);
  }

  write(offset: number, data: Uint8Array): void {
    this.flash.write(offset, data.length, data);
  }

  erase(sector: number): void {
    this.flash.erase(sector);
  }
}

function otaWriter(): ImageWriter {
  const ota = new OTA();
  return { write: (data) => ota.write(data), complete: () => ota.complete(), cancel: () => ota.cancel() };
}

export const openBoardContent: OpenBoardContent = ({ crypto, storage, restartMs, rejoinMs, emit }: BoardContentOptions) => {
  const partition = (name: string): SdkFlash | null => {
    try {
      return new SdkFlash(name);
    } catch (e) {
      emit({ type: "error", message: `no ${name} partition, firmware is not taken (build with defines.ota.autosplit): ${(e as Error).message}` });
      return null;
    }
  };
  const spare = partition("nextota");
  const store = new FlashContentStore(crypto, storage, spare, partition("running"), new MemoryContentStore(CONFIG_MAX_BYTES));

  /** Runs an image copy a sector per tick, then `done`; a failure is reported and the board carries on. */
  const copy = (what: string, image: ImageCopy, done: () => void): void => {
    const timer = Timer.repeat(() => {
      try {
        if (!image.step()) return;
      } catch (e) {
        Timer.clear(timer);
        store.holdSpare(false);
        emit({ type: "error", message: `${what}: ${(e as Error).message}` });
        return;
      }
      Timer.clear(timer);
      done();
    }, COPY_STEP_MS);
  };
  const restartLater = (): void => {
    Timer.set(() => System.restart(), restartMs);
  };

  let trial = storage.get(TRIAL_KEY)?.[0] === 1;
  let trialTimer: Timer | undefined;
  if (trial) {
    store.holdSpare(true);
    emit({ type: "firmware-trial", rejoinMs });
    if (rejoinMs > 0 && spare) {
      trialTimer = Timer.set(() => {
        trial = false;
        const length = espImageLength(spare);
        if (length < 0) return emit({ type: "error", message: "rollback: no previous image in the spare partition" });
        emit({ type: "firmware-rollback", reason: `no neighbor within ${rejoinMs} ms`, bytes: length });
        copy("rollback", new ImageCopy(spare, length, otaWriter()), () => {
          storage.set(TRIAL_KEY, NO_TRIAL);
          emit({ type: "firmware-restart", inMs: restartMs });
          restartLater();
        });
      }, rejoinMs);
    }
  }

  return {
    store,
    onEvent(event) {
      if (event.type === "neighbor-up" && trial) {
        trial = false;
        Timer.clear(trialTimer);
        storage.set(TRIAL_KEY, NO_TRIAL);
        store.holdSpare(false);
        emit({ type: "firmware-confirmed" });
      }
      if (event.type !== "content-installed" || event.kind !== ContentKind.Firmware) return;
      let image: ImageCopy;
      try {
        image = store.install(otaWriter());
      } catch (e) {
        return emit({ type: "error", message: `firmware v${event.version} not installed: ${(e as Error).message}` });
      }
      copy(`firmware v${event.version} not installed`, image, () => {
        storage.set(TRIAL_KEY, ON_TRIAL);
        emit({ type: "firmware-restart", version: event.version, inMs: restartMs });
        restartLater();
      });
    },
  };
};
