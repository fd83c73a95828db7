/*
 * Native half of ikelet/crypto (see crypto.js): keyed objects over PSA Crypto (AES-GCM, AES-CBC,
 * HMAC-SHA2, SHA-1/2, MD5, ECDH P-256) and libsodium (X25519, ChaCha20-Poly1305, Ed25519 verify). No primitive is
 * implemented here: this file checks lengths, keeps a key per object and calls the libraries.
 * Every entry returns false (or undefined) on failure; none aborts or throws for bad input.
 *
 * Entropy: X25519 and the ciphers draw none; PSA's DRBG is seeded at psa_crypto_init and serves
 * P-256's blinding. On the ESP32 mbedTLS's entropy is the hardware RNG (esp_fill_random), which is
 * only a true RNG while an entropy source runs; a cellular device has RF off, so the SAR ADC
 * source is switched on around every call that may draw from the DRBG (as ikelet/random does
 * around its fills). On Linux (the twin) mbedTLS reads the kernel's getrandom()/dev/urandom.
 */
#include "xsmc.h"
#include <stdlib.h>
#include <string.h>
#include <psa/crypto.h>
#include <sodium.h>

#if ESP32
#include "bootloader_random.h"
#define entropyOn() bootloader_random_enable()
#define entropyOff() bootloader_random_disable()
#else
#define entropyOn()
#define entropyOff()
#endif

/* Kinds, as crypto.js names them. */
enum { kNone = 0, kAesGcm = 1, kChaCha = 2, kAesCbc = 3, kHmacSha256 = 4, kHmacSha384 = 5, kHmacSha512 = 6, kX25519 = 7, kP256 = 8,
	/* issue 22 (suites): */ kHmacSha1 = 9, kP384 = 10, kP521 = 11 };
enum { kSha1 = 1, kSha256 = 2, kSha384 = 3, kSha512 = 4, kMd5 = 5 };

typedef struct {
	int kind;
	psa_key_id_t id;	/* PSA kinds */
	uint8_t raw[32];	/* libsodium kinds: the ChaCha20 key, the X25519 scalar */
} IkeletKey;

static int gReady = 0;

static int ready(void)
{
	if (!gReady) {
		entropyOn();
		gReady = (psa_crypto_init() == PSA_SUCCESS) && (sodium_init() >= 0);
		entropyOff();
	}
	return gReady;
}

static psa_algorithm_t hashAlgorithm(int kind)
{
	switch (kind) {
	case kSha1: return PSA_ALG_SHA_1;
	case kSha256: return PSA_ALG_SHA_256;
	case kSha384: return PSA_ALG_SHA_384;
	case kSha512: return PSA_ALG_SHA_512;
	case kMd5: return PSA_ALG_MD5;
	}
	return 0;
}

static psa_algorithm_t hmacAlgorithm(int kind)
{
	switch (kind) {
	case kHmacSha256: return PSA_ALG_HMAC(PSA_ALG_SHA_256);
	case kHmacSha384: return PSA_ALG_HMAC(PSA_ALG_SHA_384);
	case kHmacSha512: return PSA_ALG_HMAC(PSA_ALG_SHA_512);
	case kHmacSha1: return PSA_ALG_HMAC(PSA_ALG_SHA_1);
	}
	return 0;
}

static void wipeKey(IkeletKey* key)
{
	if (key->id != PSA_KEY_ID_NULL) psa_destroy_key(key->id);
	key->id = PSA_KEY_ID_NULL;
	sodium_memzero(key->raw, sizeof(key->raw));
	key->kind = kNone;
}

static IkeletKey* keyOf(xsMachine* the, int kind)
{
	IkeletKey* key = xsmcGetHostData(xsThis);
	return (key && (key->kind == kind)) ? key : NULL;
}

/* A buffer argument (ArrayBuffer or typed array): its bytes and length. */
static uint8_t* bytes(xsMachine* the, int arg, size_t* length)
{
	void* data;
	xsUnsignedValue count;
	xsmcGetBufferReadable(xsArg(arg), &data, &count);
	*length = count;
	return data;
}

static uint8_t* writable(xsMachine* the, int arg, size_t* length)
{
	void* data;
	xsUnsignedValue count;
	xsmcGetBufferWritable(xsArg(arg), &data, &count);
	*length = count;
	return data;
}

void xs_ikelet_key_destructor(void* data)
{
	if (data) {
		wipeKey(data);
		free(data);
	}
}

void xs_ikelet_key_constructor(xsMachine* the)
{
	IkeletKey* key = calloc(1, sizeof(IkeletKey));
	if (!key) xsUnknownError("no memory");
	key->id = PSA_KEY_ID_NULL;
	xsmcSetHostData(xsThis, key);
}

static int importKey(IkeletKey* key, psa_key_type_t type, psa_key_usage_t usage, psa_algorithm_t alg, const uint8_t* bytes, size_t length)
{
	psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
	psa_set_key_type(&attributes, type);
	/* A NIST curve's bits from its scalar length (P-521: 66 bytes); other keys are 8 bits a byte. */
	psa_set_key_bits(&attributes, ((type == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1)) && (length == 66)) ? 521 : 8 * length);
	psa_set_key_usage_flags(&attributes, usage);
	psa_set_key_algorithm(&attributes, alg);
	int ok = psa_import_key(&attributes, bytes, length, &key->id) == PSA_SUCCESS;
	psa_reset_key_attributes(&attributes);
	if (!ok) key->id = PSA_KEY_ID_NULL;
	return ok;
}

/* A NIST curve's scalar (and x) length in bytes, 0 for other kinds; public values are x | y. */
static size_t ecpScalarLength(int kind)
{
	switch (kind) {
	case kP256: return 32;
	case kP384: return 48;
	case kP521: return 66;
	}
	return 0;
}

/* set(kind, keyBytes): true when the key is usable (a P-256/384/521 scalar of 0 or >= n is not). */
void xs_ikelet_key_set(xsMachine* the)
{
	IkeletKey* key = xsmcGetHostData(xsThis);
	int kind = xsmcToInteger(xsArg(0));
	size_t length;
	const uint8_t* data = bytes(the, 1, &length);
	int ok = 0;
	xsmcSetFalse(xsResult);
	if (!key || !ready()) return;
	wipeKey(key);
	switch (kind) {
	case kAesGcm:
		ok = ((length == 16) || (length == 24) || (length == 32)) && importKey(key, PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, PSA_ALG_GCM, data, length);
		break;
	case kAesCbc:
		ok = ((length == 16) || (length == 24) || (length == 32)) && importKey(key, PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, PSA_ALG_CBC_NO_PADDING, data, length);
		break;
	case kHmacSha256: case kHmacSha384: case kHmacSha512: case kHmacSha1:
		ok = (length > 0) && (length <= 1024) && importKey(key, PSA_KEY_TYPE_HMAC, PSA_KEY_USAGE_SIGN_MESSAGE, hmacAlgorithm(kind), data, length);
		break;
	case kP256: case kP384: case kP521:
		entropyOn();
		ok = (length == ecpScalarLength(kind)) && importKey(key, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH, data, length);
		entropyOff();
		break;
	case kChaCha: case kX25519:
		ok = (length == 32);
		if (ok) memcpy(key->raw, data, 32);
		break;
	}
	if (ok) {
		key->kind = kind;
		xsmcSetTrue(xsResult);
	}
}

void xs_ikelet_key_wipe(xsMachine* the)
{
	IkeletKey* key = xsmcGetHostData(xsThis);
	if (key) wipeKey(key);
}

/*
 * seal(out, nonce, aad, plaintext): out is plaintext + 16 bytes.
 * open(out, nonce, aad, sealed): out is sealed - 16 bytes; false when the tag does not verify.
 */
static void aead(xsMachine* the, int seal)
{
	size_t outLength, nonceLength, aadLength, length;
	uint8_t* out = writable(the, 0, &outLength);
	const uint8_t* nonce = bytes(the, 1, &nonceLength);
	const uint8_t* aad = bytes(the, 2, &aadLength);
	const uint8_t* data = bytes(the, 3, &length);
	IkeletKey* key = xsmcGetHostData(xsThis);
	int ok = 0;
	xsmcSetFalse(xsResult);
	if (!key || (nonceLength != 12) || (seal ? (outLength != length + 16) : ((length < 16) || (outLength != length - 16)))) return;
	if (key->kind == kAesGcm) {
		size_t written;
		psa_status_t status = seal
			? psa_aead_encrypt(key->id, PSA_ALG_GCM, nonce, 12, aad, aadLength, data, length, out, outLength, &written)
			: psa_aead_decrypt(key->id, PSA_ALG_GCM, nonce, 12, aad, aadLength, data, length, out, outLength, &written);
		ok = (status == PSA_SUCCESS) && (written == outLength);
	}
	else if (key->kind == kChaCha) {
		unsigned long long written;
		int status = seal
			? crypto_aead_chacha20poly1305_ietf_encrypt(out, &written, data, length, aad, aadLength, NULL, nonce, key->raw)
			: crypto_aead_chacha20poly1305_ietf_decrypt(out, &written, NULL, data, length, aad, aadLength, nonce, key->raw);
		ok = (status == 0) && (written == outLength);
	}
	if (!ok) memset(out, 0, outLength);
	else xsmcSetTrue(xsResult);
}

void xs_ikelet_key_seal(xsMachine* the) { aead(the, 1); }
void xs_ikelet_key_open(xsMachine* the) { aead(the, 0); }

static void cbc(xsMachine* the, int encrypt)
{
	size_t outLength, ivLength, length, written = 0, tail = 0;
	uint8_t* out = writable(the, 0, &outLength);
	const uint8_t* iv = bytes(the, 1, &ivLength);
	const uint8_t* data = bytes(the, 2, &length);
	IkeletKey* key = keyOf(the, kAesCbc);
	psa_cipher_operation_t operation = PSA_CIPHER_OPERATION_INIT;
	xsmcSetFalse(xsResult);
	if (!key || (ivLength != 16) || (length % 16) || (outLength != length)) return;
	int ok = ((encrypt ? psa_cipher_encrypt_setup(&operation, key->id, PSA_ALG_CBC_NO_PADDING) : psa_cipher_decrypt_setup(&operation, key->id, PSA_ALG_CBC_NO_PADDING)) == PSA_SUCCESS)
		&& (psa_cipher_set_iv(&operation, iv, 16) == PSA_SUCCESS)
		&& (psa_cipher_update(&operation, data, length, out, outLength, &written) == PSA_SUCCESS)
		&& (psa_cipher_finish(&operation, out + written, outLength - written, &tail) == PSA_SUCCESS)
		&& (written + tail == outLength);
	psa_cipher_abort(&operation);
	if (ok) xsmcSetTrue(xsResult);
}

void xs_ikelet_key_encrypt(xsMachine* the) { cbc(the, 1); }
void xs_ikelet_key_decrypt(xsMachine* the) { cbc(the, 0); }

/* mac(out, data): out is at most the hash's length (an ICV takes the leading bytes). */
void xs_ikelet_key_mac(xsMachine* the)
{
	size_t outLength, length, written;
	uint8_t* out = writable(the, 0, &outLength);
	const uint8_t* data = bytes(the, 1, &length);
	IkeletKey* key = xsmcGetHostData(xsThis);
	uint8_t full[PSA_HASH_MAX_SIZE];
	xsmcSetFalse(xsResult);
	if (!key || !hmacAlgorithm(key->kind) || (outLength > PSA_HASH_LENGTH(PSA_ALG_HMAC_GET_HASH(hmacAlgorithm(key->kind))))) return;
	if (psa_mac_compute(key->id, hmacAlgorithm(key->kind), data, length, full, sizeof(full), &written) == PSA_SUCCESS && (written >= outLength)) {
		memcpy(out, full, outLength);
		xsmcSetTrue(xsResult);
	}
	sodium_memzero(full, sizeof(full));
}

/* publicKey(out): X25519 u (32 bytes), P-256/384/521 x | y (64/96/132 bytes). */
void xs_ikelet_key_public(xsMachine* the)
{
	size_t outLength;
	uint8_t* out = writable(the, 0, &outLength);
	IkeletKey* key = xsmcGetHostData(xsThis);
	xsmcSetFalse(xsResult);
	if (!key) return;
	if ((key->kind == kX25519) && (outLength == 32)) {
		if (crypto_scalarmult_base(out, key->raw) == 0) xsmcSetTrue(xsResult);
	}
	else if (ecpScalarLength(key->kind) && (outLength == 2 * ecpScalarLength(key->kind))) {
		uint8_t point[1 + 2 * 66];
		size_t written;
		entropyOn();
		int ok = (psa_export_public_key(key->id, point, sizeof(point), &written) == PSA_SUCCESS) && (written == 1 + outLength) && (point[0] == 0x04);
		entropyOff();
		if (ok) {
			memcpy(out, point + 1, outLength);
			xsmcSetTrue(xsResult);
		}
	}
}

/* shared(out, peer): X25519 32 bytes, P-* x; false for a peer value off the curve, of the wrong length, or low order (X25519). */
void xs_ikelet_key_shared(xsMachine* the)
{
	size_t outLength, peerLength;
	uint8_t* out = writable(the, 0, &outLength);
	const uint8_t* peer = bytes(the, 1, &peerLength);
	IkeletKey* key = xsmcGetHostData(xsThis);
	int ok = 0;
	xsmcSetFalse(xsResult);
	if (!key) return;
	if ((key->kind == kX25519) && (outLength == 32) && (peerLength == 32)) {
		/* libsodium refuses an all-zero result (RFC 7748 6.1, RFC 8031 2.3) with -1. */
		ok = crypto_scalarmult(out, key->raw, peer) == 0;
	}
	else if (ecpScalarLength(key->kind) && (outLength == ecpScalarLength(key->kind)) && (peerLength == 2 * outLength)) {
		uint8_t point[1 + 2 * 66];
		size_t written;
		point[0] = 0x04;
		memcpy(point + 1, peer, peerLength);
		entropyOn();
		ok = (psa_raw_key_agreement(PSA_ALG_ECDH, key->id, point, 1 + peerLength, out, outLength, &written) == PSA_SUCCESS) && (written == outLength);
		entropyOff();
	}
	if (!ok) memset(out, 0, outLength);
	else xsmcSetTrue(xsResult);
}

/* hash(kind, out, data): out is the hash's length. */
void xs_ikelet_hash(xsMachine* the)
{
	int kind = xsmcToInteger(xsArg(0));
	size_t outLength, length, written;
	uint8_t* out = writable(the, 1, &outLength);
	const uint8_t* data = bytes(the, 2, &length);
	psa_algorithm_t alg = hashAlgorithm(kind);
	xsmcSetFalse(xsResult);
	if (!alg || !ready() || (outLength != PSA_HASH_LENGTH(alg))) return;
	if ((psa_hash_compute(alg, data, length, out, outLength, &written) == PSA_SUCCESS) && (written == outLength)) xsmcSetTrue(xsResult);
}

/* A hash fed in pieces. */
typedef struct {
	psa_algorithm_t alg;
	int live;
	psa_hash_operation_t operation;
} IkeletHash;

void xs_ikelet_hash_destructor(void* data)
{
	IkeletHash* h = data;
	if (h) {
		psa_hash_abort(&h->operation);
		free(h);
	}
}

void xs_ikelet_hash_constructor(xsMachine* the)
{
	IkeletHash* h = calloc(1, sizeof(IkeletHash));
	if (!h) xsUnknownError("no memory");
	h->alg = hashAlgorithm(xsmcToInteger(xsArg(0)));
	h->operation = psa_hash_operation_init();
	h->live = h->alg && ready() && (psa_hash_setup(&h->operation, h->alg) == PSA_SUCCESS);
	xsmcSetHostData(xsThis, h);
}

void xs_ikelet_hash_update(xsMachine* the)
{
	IkeletHash* h = xsmcGetHostData(xsThis);
	size_t length;
	const uint8_t* data = bytes(the, 0, &length);
	if (h && h->live && (psa_hash_update(&h->operation, data, length) != PSA_SUCCESS)) h->live = 0;
	xsmcSetBoolean(xsResult, h && h->live);
}

void xs_ikelet_hash_finish(xsMachine* the)
{
	IkeletHash* h = xsmcGetHostData(xsThis);
	size_t outLength, written;
	uint8_t* out = writable(the, 0, &outLength);
	xsmcSetFalse(xsResult);
	if (!h || !h->live || (outLength != PSA_HASH_LENGTH(h->alg))) return;
	h->live = 0;
	if ((psa_hash_finish(&h->operation, out, outLength, &written) == PSA_SUCCESS) && (written == outLength)) xsmcSetTrue(xsResult);
}

/* ed25519Verify(signature, message, publicKey): libsodium refuses non-canonical and small-order encodings. */
void xs_ikelet_ed25519_verify(xsMachine* the)
{
	size_t signatureLength, messageLength, publicLength;
	const uint8_t* signature = bytes(the, 0, &signatureLength);
	const uint8_t* message = bytes(the, 1, &messageLength);
	const uint8_t* publicKey = bytes(the, 2, &publicLength);
	xsmcSetBoolean(xsResult, (signatureLength == crypto_sign_BYTES) && (publicLength == crypto_sign_PUBLICKEYBYTES) && ready()
		&& (crypto_sign_verify_detached(signature, message, messageLength, publicKey) == 0));
}
