/**
 * The Storage port on Moddable's `preference` module (NVS flash on the ESP32, a JSON file on the
 * desktop simulator). Values are stored as ArrayBuffers. Preference's limits — domain and key at most
 * 15 characters, values at most 4,000 bytes — are checked before writing, the same check every host
 * makes, so the core fails the same way in simulation. Every `set` is a flash commit: the core calls
 * it rarely (epoch at boot, sequence numbers in blocks of 64).
 */
import Preference from "preference";
import { checkStorageEntry, checkStorageKey, type Storage } from "../../modules/ports.js";

export class PreferenceStorage implements Storage {
  constructor(readonly domain: string) {
    checkStorageKey(domain); // the same rule: 1..15 printable ASCII characters
  }

  get(key: string): Uint8Array | undefined {
    const value = Preference.get(this.domain, key);
    return value instanceof ArrayBuffer ? new Uint8Array(value) : undefined;
  }

  set(key: string, value: Uint8Array): void {
    checkStorageEntry(key, value);
    const copy = new Uint8Array(value.length); // exactly the bytes, in an ArrayBuffer of their own
    copy.set(value);
    Preference.set(this.domain, key, copy.buffer);
  }

  delete(key: string): void {
    Preference.delete(this.domain, key);
  }

  keys(): string[] {
    return Preference.keys(this.domain);
  }
}
