/*
 * Native half of ikelet/frame (see frame.js): the per-byte loops of src/ppp/hdlc-bytes.ts and
 * src/ip/checksum-words.ts, with the same arguments and results (those files are the reference;
 * test/unit/frame-native.test.ts runs both on the same inputs in the Linux twin). No crypto here.
 *
 * FCS-16 and FCS-32 come from the ESP32's ROM (esp_rom_crc16_le / esp_rom_crc32_le: the reflected
 * CRC-CCITT and CRC-32 that PPP's FCS is, ESP-IDF's rom/crc.h says "PPP-FCS"). The ROM complements
 * the running value on the way in and out, so PPP's uncomplemented running FCS is ~rom(~fcs). On
 * Linux (the twin) the same two functions are defined below as the ROM documents them, so the
 * mapping onto them runs in the twin too.
 *
 * The word sum is our own loop: lwIP's inet_chksum (in ESP-IDF) folds to 16 bits, in host byte
 * order, over one buffer of at most 64 KiB, where the reference returns the unfolded sum that
 * callers continue across a pseudo-header and a payload; matching it would cost more than the loop.
 *
 * Numbers are read before buffer pointers are taken (XS may move a buffer when it allocates).
 * Arguments are checked against the buffers: a range outside one is a RangeError (a bug in the
 * caller, as in JS, where it would read undefined); writes past `out`/`frame` are dropped as a
 * typed array drops them.
 */
#include "xsmc.h"
#include "mc.xs.h"
#include <stdint.h>

#if defined(ESP_PLATFORM)
	#include "esp_rom_crc.h"
#else
static uint16_t gCrc16[256];
static uint32_t gCrc32[256];

static void crcTables(void)
{
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t v16 = b, v32 = b;
		for (int i = 0; i < 8; i++) {
			v16 = (v16 & 1) ? ((v16 >> 1) ^ 0x8408) : (v16 >> 1);
			v32 = (v32 & 1) ? ((v32 >> 1) ^ 0xedb88320) : (v32 >> 1);
		}
		gCrc16[b] = (uint16_t)v16;
		gCrc32[b] = v32;
	}
}

static uint16_t esp_rom_crc16_le(uint16_t crc, uint8_t const *buf, uint32_t len)
{
	if (!gCrc16[1]) crcTables();
	crc = ~crc;
	while (len--) crc = (crc >> 8) ^ gCrc16[(crc ^ *buf++) & 0xff];
	return ~crc;
}

static uint32_t esp_rom_crc32_le(uint32_t crc, uint8_t const *buf, uint32_t len)
{
	if (!gCrc32[1]) crcTables();
	crc = ~crc;
	while (len--) crc = (crc >> 8) ^ gCrc32[(crc ^ *buf++) & 0xff];
	return ~crc;
}
#endif

#define FLAG (0x7e)
#define ESCAPE (0x7d)
/* As SYNCED, ESCAPED, OVERFLOW in hdlc-bytes.ts. */
#define SYNCED (1)
#define ESCAPED (2)
#define OVERFLOW (4)

/* A JS number (an unsigned 32-bit value, or any integer) as JS's >>> 0 makes it. */
static uint32_t toUint32(xsMachine *the, xsSlot *slot)
{
	double d = fxToNumber(the, slot);
	if (!(d == d)) return 0;
	return (uint32_t)(int64_t)d;
}

/* [start, end) of a readable buffer argument; start > end is an empty range. */
static uint8_t *range(xsMachine *the, xsSlot *buffer, xsSlot *startSlot, xsSlot *endSlot, uint32_t *start, uint32_t *end)
{
	void *data;
	xsUnsignedValue count;
	xsIntegerValue s = fxToInteger(the, startSlot), e = fxToInteger(the, endSlot);
	_xsmcGetBuffer(the, buffer, &data, &count, 0);
	if (e < s) e = s;
	if ((s < 0) || ((xsUnsignedValue)e > count)) xsRangeError("outside the buffer");
	*start = (uint32_t)s;
	*end = (uint32_t)e;
	return data;
}

/* fcs16(bytes, fcs, start, end) */
void xs_ikelet_frame_fcs16(xsMachine *the)
{
	uint32_t start, end;
	uint32_t fcs = toUint32(the, &xsArg(1));
	uint8_t *bytes = range(the, &xsArg(0), &xsArg(2), &xsArg(3), &start, &end);
	// The reference's running value is 16 bits when it starts as 16 bits; the ROM's is.
	if (fcs <= 0xffff) fcs = (uint16_t)~esp_rom_crc16_le((uint16_t)~fcs, bytes + start, end - start);
	else xsRangeError("not a 16-bit FCS");
	xsmcSetInteger(xsResult, (xsIntegerValue)fcs);
}

/* fcs32(bytes, fcs, start, end) */
void xs_ikelet_frame_fcs32(xsMachine *the)
{
	uint32_t start, end, fcs = toUint32(the, &xsArg(1));
	uint8_t *bytes = range(the, &xsArg(0), &xsArg(2), &xsArg(3), &start, &end);
	fcs = ~esp_rom_crc32_le(~fcs, bytes + start, end - start);
	xsmcSetNumber(xsResult, (double)fcs);
}

/* The words of a Uint32Array (xsmc hands out only byte views directly): its buffer from its offset. */
static uint32_t *words(xsMachine *the, xsSlot *array, xsUnsignedValue needed)
{
	void *data;
	xsUnsignedValue count, offset, length;
	xsmcVars(2);
	xsmcGet(xsVar(0), *array, xsID_byteOffset);
	offset = (xsUnsignedValue)xsmcToInteger(xsVar(0));
	xsmcGet(xsVar(1), *array, xsID_length);
	length = (xsUnsignedValue)xsmcToInteger(xsVar(1));
	xsmcGet(xsVar(0), *array, xsID_buffer);
	_xsmcGetBuffer(the, &xsVar(0), &data, &count, 1);
	if ((length < needed) || (offset & 3) || (offset + needed * sizeof(uint32_t) > count)) xsRangeError("state: 3 words");
	return (uint32_t *)((uint8_t *)data + offset);
}

/* unescapeUntilFlag(bytes, from, frame, state) */
void xs_ikelet_frame_unescape_until_flag(xsMachine *the)
{
	void *data, *frameData;
	xsUnsignedValue count, room;
	xsIntegerValue from = xsmcToInteger(xsArg(1));
	uint8_t *bytes, *frame;
	uint32_t *state, length, accm, flags, i;

	if (from < 0) xsRangeError("outside the buffer");
	state = words(the, &xsArg(3), 3);
	_xsmcGetBuffer(the, &xsArg(0), &data, &count, 0);
	_xsmcGetBuffer(the, &xsArg(2), &frameData, &room, 1);
	bytes = data;
	frame = frameData;
	length = state[0];
	accm = state[1];
	flags = state[2];
	for (i = (uint32_t)from; i < count; i++) {
		uint8_t c = bytes[i];
		if (c == FLAG) break;
		if (!(flags & SYNCED)) continue;
		if ((c < 0x20) && ((accm >> c) & 1)) continue;
		if (c == ESCAPE) {
			flags |= ESCAPED;
			continue;
		}
		if (flags & ESCAPED) c ^= 0x20;
		flags &= ~ESCAPED;
		if (length < room) frame[length++] = c;
		else flags |= OVERFLOW;
	}
	state[0] = length;
	state[2] = flags;
	xsmcSetInteger(xsResult, (xsIntegerValue)i);
}

static inline int escaped(uint8_t c, uint32_t accm)
{
	return (c == FLAG) || (c == ESCAPE) || ((c < 0x20) && ((accm >> c) & 1));
}

/* escapedLength(bytes, accm) */
void xs_ikelet_frame_escaped_length(xsMachine *the)
{
	void *data;
	xsUnsignedValue count, length, i;
	uint32_t accm = toUint32(the, &xsArg(1));
	uint8_t *bytes;
	_xsmcGetBuffer(the, &xsArg(0), &data, &count, 0);
	bytes = data;
	length = count;
	for (i = 0; i < count; i++) length += escaped(bytes[i], accm);
	xsmcSetInteger(xsResult, (xsIntegerValue)length);
}

/* escapeInto(bytes, accm, out, at) */
void xs_ikelet_frame_escape_into(xsMachine *the)
{
	void *data, *outData;
	xsUnsignedValue count, room, i;
	uint32_t accm = toUint32(the, &xsArg(1));
	xsIntegerValue at = xsmcToInteger(xsArg(3));
	uint8_t *bytes, *out;
	_xsmcGetBuffer(the, &xsArg(0), &data, &count, 0);
	_xsmcGetBuffer(the, &xsArg(2), &outData, &room, 1);
	if (at < 0) xsRangeError("outside the buffer");
	bytes = data;
	out = outData;
	for (i = 0; i < count; i++) {
		uint8_t c = bytes[i];
		if (escaped(c, accm)) {
			if ((xsUnsignedValue)at < room) out[at] = ESCAPE;
			at++;
			c ^= 0x20;
		}
		if ((xsUnsignedValue)at < room) out[at] = c;
		at++;
	}
	xsmcSetInteger(xsResult, at);
}

/* addWords(data, offset, length, acc) */
void xs_ikelet_frame_add_words(xsMachine *the)
{
	void *data;
	xsUnsignedValue count;
	xsIntegerValue offset = xsmcToInteger(xsArg(1)), length = xsmcToInteger(xsArg(2));
	double acc = xsmcToNumber(xsArg(3));
	uint64_t sum = 0;
	uint32_t i, end;
	uint8_t *bytes;
	_xsmcGetBuffer(the, &xsArg(0), &data, &count, 0);
	if ((offset < 0) || ((length > 0) && ((xsUnsignedValue)offset + (xsUnsignedValue)length > count))) xsRangeError("outside the buffer");
	bytes = data;
	end = (length > 0) ? (uint32_t)(offset + length) : (uint32_t)offset;
	for (i = (uint32_t)offset; i + 1 < end; i += 2) sum += ((uint32_t)bytes[i] << 8) | bytes[i + 1];
	if (i < end) sum += (uint32_t)bytes[i] << 8;
	xsmcSetNumber(xsResult, acc + (double)sum);
}
