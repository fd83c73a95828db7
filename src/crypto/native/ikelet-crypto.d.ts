/** The Moddable module hosts/native/crypto (crypto.js, crypto.c): only device builds made by Moddable's tools have it. */
declare module 'ikelet/crypto' {
  export class NativeKey {
    set(kind: number, key: Uint8Array): boolean;
    seal(out: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): boolean;
    open(out: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): boolean;
    encrypt(out: Uint8Array, iv: Uint8Array, data: Uint8Array): boolean;
    decrypt(out: Uint8Array, iv: Uint8Array, data: Uint8Array): boolean;
    mac(out: Uint8Array, data: Uint8Array): boolean;
    publicKey(out: Uint8Array): boolean;
    shared(out: Uint8Array, peer: Uint8Array): boolean;
    wipe(): void;
  }
  export class NativeHash {
    constructor(kind: number);
    update(data: Uint8Array): boolean;
    finish(out: Uint8Array): boolean;
  }
  export function hash(kind: number, out: Uint8Array, data: Uint8Array): boolean;
  export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}
