/**
 * The ESP32's legacy OTA module ($(MODDABLE)/build/devices/esp32/modules/ota: ota.js, ota.c), which
 * @moddable/typings 5.6 does not declare. `new OTA()` opens the next update partition for sequential
 * writes (esp_ota_begin with OTA_WITH_SEQUENTIAL_WRITES: each sector is erased when the writes reach
 * it); `complete()` validates the image and makes it boot next (esp_ota_end, esp_ota_set_boot_partition);
 * `cancel()` abandons it. Every failure throws.
 */
declare module "ota" {
  export default class OTA {
    constructor();
    write(data: ArrayBuffer | ArrayBufferView): void;
    complete(): void;
    cancel(): void;
  }
}
