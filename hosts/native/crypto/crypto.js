/*
 * ikelet/crypto: keyed objects over PSA Crypto and libsodium (crypto.c), for the native crypto
 * backend (src/crypto/native/backend.ts). Outputs go into buffers the caller makes; every method
 * returns false when the library refuses (a bad tag, a bad point, wrong lengths).
 * Kinds: 1 AES-GCM, 2 ChaCha20-Poly1305, 3 AES-CBC, 4/5/6 HMAC-SHA-256/384/512, 7 X25519, 8 P-256,
 * 9 HMAC-SHA-1, 10 P-384, 11 P-521 (AES keys: 16, 24 or 32 bytes).
 * Hashes: 1 SHA-1, 2 SHA-256, 3 SHA-384, 4 SHA-512, 5 MD5. Ed25519 verification (firmware manifests).
 */
export class NativeKey @ "xs_ikelet_key_destructor" {
	constructor() @ "xs_ikelet_key_constructor";
	/** (kind, key bytes): false when the key is not usable (a P-256/384/521 scalar of 0 or >= n). */
	set(kind, key) @ "xs_ikelet_key_set";
	seal(out, nonce, aad, plaintext) @ "xs_ikelet_key_seal";
	open(out, nonce, aad, sealed) @ "xs_ikelet_key_open";
	encrypt(out, iv, data) @ "xs_ikelet_key_encrypt";
	decrypt(out, iv, data) @ "xs_ikelet_key_decrypt";
	mac(out, data) @ "xs_ikelet_key_mac";
	publicKey(out) @ "xs_ikelet_key_public";
	shared(out, peer) @ "xs_ikelet_key_shared";
	/** Destroys the key in the library and zeroes what this object holds. */
	wipe() @ "xs_ikelet_key_wipe";
}

export class NativeHash @ "xs_ikelet_hash_destructor" {
	constructor(kind) @ "xs_ikelet_hash_constructor";
	update(data) @ "xs_ikelet_hash_update";
	finish(out) @ "xs_ikelet_hash_finish";
}

export function hash(kind, out, data) @ "xs_ikelet_hash";

/** (signature, message, publicKey): true for a valid Ed25519 signature (libsodium: canonical encodings only). */
export function ed25519Verify(signature, message, publicKey) @ "xs_ikelet_ed25519_verify";
