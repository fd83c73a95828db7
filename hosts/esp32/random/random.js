/*
 * ikelet/random: bytes from the ESP32 hardware RNG. Moddable defines no
 * crypto.getRandomValues, and esp_random() is only a true RNG while an entropy source runs
 * (RF, or the SAR ADC noise that bootloader_random_enable() switches on): a cellular device
 * has Wi-Fi/BT off, so the native side enables the ADC source around each fill.
 */
/** Fills an ArrayBuffer or typed array with random bytes and returns it. */
// `this` (undefined in a module) is passed through so xsc can bind the host function directly.
export function fillRandom(buffer) { return native("xs_ikelet_random_fill").call(this, buffer); }

/** A new Uint8Array of `length` random bytes. */
export function randomBytes(length) {
	const bytes = new Uint8Array(length);
	fillRandom(bytes);
	return bytes;
}
